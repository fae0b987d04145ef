# Stagecoach production image: gunicorn serves the app, whitenoise the static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends libsndfile1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 stagecoach

WORKDIR /app
# Every package at its locked version, checked against its hash (`make lock` writes the
# lock from pyproject.toml); then the app itself, which adds nothing unpinned.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY config ./config
COPY songs ./songs
COPY stages ./stages
COPY coaching ./coaching
RUN pip install --no-deps .
COPY manage.py ./
COPY templates ./templates
COPY static ./static

# collectstatic needs settings that load; these values exist only for this build step.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input

USER stagecoach
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
