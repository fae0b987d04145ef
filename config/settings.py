"""Stagecoach settings: every value from the environment, with an embedded default.

The embedded defaults run a fresh checkout on a laptop (SQLite, tasks in-process, media
on local disk, e-mail to the console). Production sets the variables listed in
README.md; docker-compose.yml shows a complete set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets the classes that django-stubs declares generic (ModelAdmin, ModelForm, ...) take type
# arguments at runtime too, as in `admin.ModelAdmin[Song]`; it changes nothing else.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-stagecoach-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "django_ratelimit",
    "coaching",
    "stages",
    "songs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files: runserver serves them in DEBUG; whitenoise serves the collected files
    # in production.
    *([] if DEBUG else ["whitenoise.middleware.WhiteNoiseMiddleware"]),
    # Outside everything that reads the database (sessions, users, axes): a database
    # restart gets a retry or a "try again" page, never a 500.
    "coaching.middleware.DatabaseOutageMiddleware",
    "coaching.middleware.StorageOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "coaching.middleware.HtmxLoginRedirectMiddleware",
    "coaching.middleware.ReadOnlyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coaching.context_processors.roles",
                "coaching.context_processors.csp_nonce",
            ],
            "builtins": [
                "songs.templatetags.units",
                "stages.templatetags.balance",
                "stages.templatetags.status",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ---------------------------------------------------------------------------

AUTH_USER_MODEL = "coaching.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "songs:home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses further attempts for a while (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("STAGECOACH_LOGIN_THROTTLING", True)
AXES_FAILURE_LIMIT = env_int("STAGECOACH_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("STAGECOACH_LOGIN_COOLOFF_MIN", 15))
# Lock a username on one address, not the whole address: a classroom shares one IP.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Proxies in front of gunicorn (1 behind deploy/nginx): the client's address is taken from
# X-Forwarded-For as they append it (coaching.http.client_ip), never from what a client sent;
# login throttling and the rate limits both count by it.
PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "coaching.http.client_ip"

# How long a login lasts: the session cookie's age (Django's own default is 14 days).
SESSION_COOKIE_AGE = env_int("STAGECOACH_SESSION_DAYS", 14) * 24 * 60 * 60

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Cache and rate limits ----------------------------------------------------------------

# Rate limits (django-ratelimit) count in the cache, so every web process must share it:
# Redis when STAGECOACH_CACHE_URL is set (compose sets it), otherwise memory local to the
# one process that the embedded default runs.
CACHE_URL = env_str("STAGECOACH_CACHE_URL")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = [
    # django-ratelimit names only django-redis and memcached as supported; Django's own
    # RedisCache counts with Redis's atomic INCR just the same.
    "django_ratelimit.W001",
    # Memory local to a process is shared by every request of the embedded default's one
    # process; with several web processes, set STAGECOACH_CACHE_URL (README).
    *([] if CACHE_URL else ["django_ratelimit.E003"]),
]
# Password-reset e-mails asked for, per hour: for one address, and from one client (a
# classroom shares one address, so that limit is wider).
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int("STAGECOACH_RESETS_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESETS_PER_CLIENT_PER_HOUR = env_int("STAGECOACH_RESETS_PER_CLIENT_PER_HOUR", 20)
# Files one person may upload per hour: bounces, reference tracks and covers together.
UPLOADS_PER_HOUR = env_int("STAGECOACH_UPLOADS_PER_HOUR", 60)
# Behind proxies, the client's address comes from X-Forwarded-For (DJANGO_PROXY_COUNT).
RATELIMIT_IP_META_KEY = "coaching.http.client_ip"
# What one student may keep stored: bounces, reference tracks, covers and their own voice
# notes together; 0 turns the quota off.
STUDENT_QUOTA_BYTES = env_int("STAGECOACH_STUDENT_QUOTA_MB", 2048) * 1024 * 1024

# --- Language and time ------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"  # British formats: "3 Dec 2026", 03/12/2026
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
# One language and no catalogue of our own: Django's en_GB catalogue is its English text,
# and the formats above still apply. With translation on, every number and date a template
# writes looked the active language up first (300 chart coordinates: 2.0 ms against 1.2).
USE_I18N = False
USE_TZ = True

# --- Static files and media -------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

# Media is never routed by URL: every file is served by a view that checks permission.
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# Uploads are kept on local disk by default. With a bucket named they go to S3 or any
# S3-compatible object store (MinIO, Ceph, ...), so web and workers can sit on different
# machines with no shared file system. The bucket stays private: every file still leaves
# through a permission-checked view (songs/media.py streams it, range requests included).
S3_BUCKET = env_str("STAGECOACH_S3_BUCKET")
S3_ENDPOINT_URL = env_str("STAGECOACH_S3_ENDPOINT_URL")
S3_REGION = env_str("STAGECOACH_S3_REGION", "us-east-1")
S3_ADDRESSING_STYLE = env_str("STAGECOACH_S3_ADDRESSING_STYLE", "auto")
if S3_ADDRESSING_STYLE not in {"auto", "path", "virtual"}:
    raise ImproperlyConfigured("STAGECOACH_S3_ADDRESSING_STYLE must be auto, path or virtual.")
S3_TIMEOUT_S = env_int("STAGECOACH_S3_TIMEOUT_S", 10)


def s3_media_storage(
    *,
    bucket: str,
    endpoint_url: str,
    region: str,
    access_key: str,
    secret_key: str,
    addressing_style: str,
    timeout_s: int,
) -> dict[str, Any]:
    """The media storage in an S3 bucket; the tests build theirs with this too."""
    return {
        "BACKEND": "songs.s3.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region,
            # Empty: boto3 finds credentials itself (AWS_* variables, an instance role).
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "addressing_style": addressing_style,
            "default_acl": None,  # private, as the bucket is
            "querystring_auth": True,
            # Names are generated (uuid); never overwrite one that exists, as on local disk.
            "file_overwrite": False,
            # A file read whole (the engine's decode) is downloaded into a temporary file
            # that spills to disk past Django's in-memory upload limit, so memory stays
            # bounded however long the bounce, and the engine seeks in a local file.
            "max_memory_size": 2_621_440,
            # Seconds to connect (reads may take six times this) before a page answers
            # "try again" or a task retries.
            "timeout_s": timeout_s,
        },
    }


_default_storage: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if S3_BUCKET:
    _default_storage = s3_media_storage(
        bucket=S3_BUCKET,
        endpoint_url=S3_ENDPOINT_URL,
        region=S3_REGION,
        access_key=env_str("STAGECOACH_S3_ACCESS_KEY_ID"),
        secret_key=env_str("STAGECOACH_S3_SECRET_ACCESS_KEY"),
        addressing_style=S3_ADDRESSING_STYLE,
        timeout_s=S3_TIMEOUT_S,
    )

STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# How a permitted media file leaves the server: "django" streams it from the view;
# "x-accel-redirect" (nginx) and "x-sendfile" (Apache) hand the path to the web server.
MEDIA_SERVE = env_str("STAGECOACH_MEDIA_SERVE", "django")
if MEDIA_SERVE not in {"django", "x-accel-redirect", "x-sendfile"}:
    raise ImproperlyConfigured(
        "STAGECOACH_MEDIA_SERVE must be django, x-accel-redirect or x-sendfile."
    )
MEDIA_ACCEL_PREFIX = env_str("STAGECOACH_MEDIA_ACCEL_PREFIX", "/protected-media/")
if S3_BUCKET and MEDIA_SERVE != "django":
    # Both hand the web server a path on this machine's disk; objects have none.
    raise ImproperlyConfigured(
        f"STAGECOACH_MEDIA_SERVE={MEDIA_SERVE} needs media on local disk; with "
        "STAGECOACH_S3_BUCKET set, media is streamed by the view (django)."
    )

# Uploads: the bounce size limit is enforced while the request streams in.
BOUNCE_MAX_UPLOAD_BYTES = env_int("STAGECOACH_MAX_UPLOAD_MB", 250) * 1024 * 1024
# Voice notes (spoken comments recorded in the browser): the longest and the largest taken;
# the size is enforced while the upload streams in too.
VOICE_MAX_S = env_int("STAGECOACH_VOICE_MAX_S", 300)
VOICE_MAX_BYTES = env_int("STAGECOACH_VOICE_MAX_MB", 10) * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail -----------------------------------------------------------------------------

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("DJANGO_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "Stagecoach <stagecoach@localhost>")
# A student with no activity for this many days is flagged on the progress matrix.
INACTIVE_AFTER_DAYS = env_int("STAGECOACH_INACTIVE_DAYS", 14)
# The address e-mails link to (notifications point at the exact page).
SITE_URL = env_str("STAGECOACH_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Celery and the analysis pipeline ----------------------------------------------------

# With no broker configured, tasks run in-process, so the embedded default needs no Redis.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not env_str("CELERY_BROKER_URL")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only once it has finished, and goes back to the queue if the
# worker running it dies; each worker process takes one task at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Time limits are sized from the longest audio accepted: the engine runs hundreds of times
# faster than real time, so 25x real time leaves a wide margin on a slow, shared machine.
ANALYSIS_MAX_DURATION_S = env_int("STAGECOACH_MAX_DURATION_MIN", 120) * 60
ANALYSIS_SOFT_TIME_LIMIT_S = max(60, ANALYSIS_MAX_DURATION_S // 25)
ANALYSIS_HARD_TIME_LIMIT_S = ANALYSIS_SOFT_TIME_LIMIT_S + 60
ANALYSIS_MAX_ATTEMPTS = env_int("STAGECOACH_ANALYSIS_MAX_ATTEMPTS", 3)
# Recovery (README, "Recovery"). The sweep runs this often; it publishes every pass owed
# that no task is on its way for (a publish that found the broker down is noted as such,
# so it goes at the first sweep after the broker is back) and every pass whose holder's
# heartbeat went quiet. With the defaults, both are taken up within 60 s.
ANALYSIS_SWEEP_INTERVAL_S = env_int("STAGECOACH_ANALYSIS_SWEEP_S", 10)
# A task published but still unclaimed this long after is published again (the broker lost
# it, say; a second delivery is harmless, the claim makes it a no-op).
ANALYSIS_REPUBLISH_AFTER_S = env_int("STAGECOACH_ANALYSIS_REPUBLISH_S", 120)
# A worker analysing renews its claim this often, from a thread; a claim silent for
# ANALYSIS_STUCK_AFTER_S belongs to a worker that died, and is taken over.
ANALYSIS_HEARTBEAT_S = env_int("STAGECOACH_ANALYSIS_HEARTBEAT_S", 10)
ANALYSIS_STUCK_AFTER_S = env_int("STAGECOACH_ANALYSIS_STUCK_S", 3 * ANALYSIS_HEARTBEAT_S)
if ANALYSIS_STUCK_AFTER_S < 2 * ANALYSIS_HEARTBEAT_S:
    raise ImproperlyConfigured(
        "STAGECOACH_ANALYSIS_STUCK_S must be at least twice STAGECOACH_ANALYSIS_HEARTBEAT_S, "
        "or a live analysis could look dead between two heartbeats."
    )
# The sweep publishes the musical pass of at most this many bounces each round (it backfills
# bounces analysed before the pass existed without flooding the queue).
MUSIC_SWEEP_BATCH = env_int("STAGECOACH_MUSIC_SWEEP_BATCH", 50)
# A send to the broker is tried once, and a broker that is down refuses at once: an upload
# never waits for it (kombu's default would retry its connection for seconds).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("STAGECOACH_BROKER_CONNECT_TIMEOUT_MS", 300) / 1000
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, float | str] = {
    # Above the hard limit, so Redis never hands a running task to a second worker; a
    # task whose worker died is delivered again after this long (the claim makes that
    # harmless: the heartbeat has long since let the sweep publish it again).
    "visibility_timeout": env_int(
        "STAGECOACH_VISIBILITY_TIMEOUT_S", ANALYSIS_HARD_TIME_LIMIT_S * 2
    ),
    # Publishing (from a web request, say) connects at most once, this fast: the workers
    # and beat keep their own retry loops for their connections.
    "max_retries": 0,
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 5,
}
# Put before every key the queues use in Redis, so that installations (staging and
# production, say, or two test runs) can share one Redis database without taking each
# other's tasks.
if BROKER_KEY_PREFIX := env_str("STAGECOACH_BROKER_KEY_PREFIX"):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = BROKER_KEY_PREFIX
# Comments made in one sitting reach their reader as one e-mail: it goes once no new
# comment has come for this long (or the first has waited three times as long). In the app
# they show at once. With tasks run in-process (no broker) there is no beat to wait for,
# so each comment's e-mail goes at once.
COMMENT_MAIL_SITTING_S = env_int("STAGECOACH_COMMENT_MAIL_SITTING_S", 300)
CELERY_BEAT_SCHEDULE = {
    "sweep-analyses": {
        "task": "songs.tasks.sweep_analyses",
        "schedule": float(ANALYSIS_SWEEP_INTERVAL_S),
        # Sweeps queued behind busy workers (or while they reconnect) are not all run
        # later: only the newest is needed.
        "options": {"expires": float(ANALYSIS_SWEEP_INTERVAL_S)},
    },
    "send-comment-mail": {
        "task": "coaching.tasks.send_comment_mail",
        "schedule": 60.0,
    },
}

# Audio targets and thresholds: overrides of the engine's documented defaults
# (songs/analysis/targets.py), as a JSON object, e.g. {"master_integrated_lufs": -16}.
try:
    STAGECOACH_AUDIO_TARGETS = json.loads(env_str("STAGECOACH_AUDIO_TARGETS") or "{}")
except json.JSONDecodeError as exc:
    raise ImproperlyConfigured(f"STAGECOACH_AUDIO_TARGETS is not valid JSON: {exc}") from None
if not isinstance(STAGECOACH_AUDIO_TARGETS, dict):
    raise ImproperlyConfigured("STAGECOACH_AUDIO_TARGETS must be a JSON object.")

# --- Security ---------------------------------------------------------------------------

# Content Security Policy: our own scripts, styles, images and media only; scripts carry
# a per-request nonce; nothing may frame the pages or post forms elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The waveform player writes one <style> into its shadow DOM, marked with the nonce.
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        # blob: is the voice-note recorder's preview of a recording not yet sent.
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Logging ----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}
