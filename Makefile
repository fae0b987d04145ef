# The commands README.md and .ci/run rely on. Every target installs first if needed.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench loadtest clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
