"""Settings for Audio2DTX, read from environment variables with local defaults.

Locally everything lives under var/ (SQLite, media, models, Redis data); a deployment sets
DATABASE_URL, A2D_REDIS_URL, A2D_MEDIA_ROOT and DJANGO_SECRET_KEY.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("A2D_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


# Off unless turned on: `make run` and the tests set DJANGO_DEBUG=1, a deployment sets nothing.
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "local-development-key-not-for-production" if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. A deployment sets it (in .env for docker compose: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))' makes one); for local "
        "development set DJANGO_DEBUG=1, as `make run` and `make test` do."
    )
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [origin for origin in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if origin]

# Behind a TLS proxy (the deployment docker-compose.yml describes). DJANGO_TRUST_X_FORWARDED_PROTO
# may be on only when the proxy sets X-Forwarded-Proto itself and drops a client's: otherwise a
# client could claim HTTPS. Without it, a proxy that talks plain HTTP to gunicorn makes every
# request look insecure, so the SSL redirect would loop and secure cookies would never come back.
if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
# The health checks ask over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0"))
# Subdomains and the browsers' preload list are the domain owner's commitments, beyond this site:
# off unless the deployment turns them on (check --deploy's W005 and W021 are silenced below).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_rq",
    "charts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "audio2dtx_web.urls"
WSGI_APPLICATION = "audio2dtx_web.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}", conn_max_age=60),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: the tests' worker runs in another process and must see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Browse's covering index lists extra columns that only PostgreSQL keeps; SQLite indexes the keys.
SILENCED_SYSTEM_CHECKS = ["models.W040", "security.W005", "security.W021"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "song-list"
LOGOUT_REDIRECT_URL = "browse"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Uploads and packages are private: they are served only through views that check access.
MEDIA_ROOT = Path(os.environ.get("A2D_MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Song files over A2D_MAX_UPLOAD_BYTES are stopped while they stream in (charts.uploads).
FILE_UPLOAD_HANDLERS = [
    "charts.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640

A2D_MODEL_DIR = Path(os.environ.get("A2D_MODEL_DIR", VAR_DIR / "models"))
# The model service (`processing.model_service`) that runs the networks for the workers; unset,
# each worker loads the models itself.
A2D_MODEL_SERVICE_URL = os.environ.get("A2D_MODEL_SERVICE_URL", "") or None
A2D_MAX_UPLOAD_BYTES = int(float(os.environ.get("A2D_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
A2D_MIN_DURATION_S = float(os.environ.get("A2D_MIN_DURATION_S", "5"))
A2D_MAX_DURATION_S = float(os.environ.get("A2D_MAX_DURATION_S", str(15 * 60)))
A2D_JOB_TIMEOUT_S = int(os.environ.get("A2D_JOB_TIMEOUT_S", str(30 * 60)))
A2D_QUEUE = "default"
# How often a worker renews the heartbeat of the job it runs; three missed beats mark it lost.
A2D_WORKER_HEARTBEAT_S = int(os.environ.get("A2D_WORKER_HEARTBEAT_S", "10"))
# How often the workers' reconciler fails lost jobs and enqueues again jobs the queue lost: a
# killed worker's job is failed within a minute (three missed beats, then at most one period).
A2D_RECONCILE_EVERY_S = int(os.environ.get("A2D_RECONCILE_EVERY_S", "30"))
# A file the worker touches at every heartbeat while it reaches Redis: its container's health
# check reads the file's age (scripts/healthcheck.py). Unset, no file is written.
A2D_WORKER_HEARTBEAT_FILE = os.environ.get("A2D_WORKER_HEARTBEAT_FILE", "") or None

A2D_REDIS_URL = os.environ.get("A2D_REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {
    A2D_QUEUE: {
        "URL": A2D_REDIS_URL,
        "DEFAULT_TIMEOUT": A2D_JOB_TIMEOUT_S,
    },
}
RQ = {"WORKER_CLASS": "charts.worker.ChartWorker"}

# The cache holds the rate limits' counters: Redis, so every web process counts together.
# Short socket timeouts: an unreachable Redis must not hold a request for the OS's TCP timeout.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": A2D_REDIS_URL,
                      "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
RATELIMIT_USE_CACHE = "default"
# Behind a proxy, the client's address comes from the header the proxy sets (e.g. HTTP_X_REAL_IP);
# rate limits and download counts read it (charts.decorators.client_address).
A2D_CLIENT_IP_HEADER = os.environ.get("A2D_CLIENT_IP_HEADER", "")
# A form posted with a stale CSRF token (the user logged in or out in another tab) is told so in place.
CSRF_FAILURE_VIEW = "charts.views.csrf_failure"
# Requests a user (or, logged out, an address) may make per action; an address may make
# A2D_RATE_LIMIT_IP_FACTOR times as many, since several people can share one.
A2D_RATE_LIMITS = {
    "signup": "5/h",
    "login": "10/5m",
    "upload": "10/h",
    "rerun": "20/h",
    "vote": "60/h",
    "report": "10/h",
}
A2D_RATE_LIMIT_IP_FACTOR = 3
# What one user may hold at once: conversions queued or running, and stored songs.
A2D_MAX_ACTIVE_JOBS_PER_USER = int(os.environ.get("A2D_MAX_ACTIVE_JOBS_PER_USER", "2"))
A2D_MAX_SONGS_PER_USER = int(os.environ.get("A2D_MAX_SONGS_PER_USER", "50"))
# A removed chart's files are kept this long (for appeals), then `manage.py purge_removed` deletes them.
A2D_REMOVED_RETENTION_DAYS = int(os.environ.get("A2D_REMOVED_RETENTION_DAYS", "30"))
A2D_BROWSE_PAGE_SIZE = 20

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("A2D_LOG_LEVEL", "INFO")},
}
