# The commands README.md and .ci/run rely on. Every target installs first if needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# pyproject.toml says what the project needs; the locks pin every package with its hashes.
# requirements-dev.lock (everything, the dev tools too) is what `make install` installs;
# requirements.lock (what the app runs on, the same versions) is what the Dockerfile installs.
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_BOOTSTRAP := uv==0.13.9

.PHONY: install lock audit run test lint format bench loadtest clean

install: $(STAMP)

# Re-installs whenever pyproject.toml or the lock changes; refuses (saying to run
# `make lock`) when pyproject.toml names something the lock does not pin.
$(STAMP): pyproject.toml $(DEV_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) scripts/check_lock.py
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Pins pyproject.toml's dependencies, with hashes, into both locks (uv; about a second).
# Versions already locked stay unless pyproject.toml no longer allows them; to move every
# package to its newest allowed version: make lock LOCK_ARGS=--upgrade
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet $(UV_BOOTSTRAP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes \
		--python-version 3.11 --custom-compile-command "make lock" --quiet \
		-o $(DEV_LOCK) $(LOCK_ARGS)
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes --constraint $(DEV_LOCK) \
		--python-version 3.11 --custom-compile-command "make lock" --quiet \
		-o $(LOCK)

# Known advisories against the locked versions (pip-audit). Where its advisory source does
# not answer, it says so and exits 2 rather than hang or pass.
audit: install
	$(PY) scripts/audit.py

# The app on its embedded defaults: SQLite, tasks in-process, local media, console e-mail.
# PORT=8080 make run serves another port.
PORT ?= 8000
run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Every test. Runs against PostgreSQL when it answers on 127.0.0.1:5432 (see tests/services.py).
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# Style, types (mypy --strict with django-stubs) and the one-way order of the code
# (import-linter's contracts in pyproject.toml).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks report ratios against a peer measured in the same run, never absolute pass/fail times.
bench: install
	@command -v ffmpeg >/dev/null || apt-get install -y -qq ffmpeg >/dev/null 2>&1 \
		|| echo "ffmpeg is not installed: the benchmark skips its ffmpeg peer"
	$(PY) -m pytest -o python_files='bench_*.py' -q -s tests/bench

# The production shape under load, then PostgreSQL restarted under load (about 3 minutes).
loadtest: install
	$(PY) tests/load/run.py

clean:
	rm -rf $(VENV) build *.egg-info
