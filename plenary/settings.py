"""Settings for Plenary, read from the environment in this one place.

Two ways to run share every line below:

- embedded default: nothing set; SQLite (WAL) under ``var/``, the in-memory channel
  layer and an in-process event bus, a secret key generated once and kept in ``var/``;
- scaled: ``DATABASE_URL=postgres://...`` and ``REDIS_URL=redis://...`` make every
  process share the database, the channel layer and the room event bus.

Environment variables:

``DATABASE_URL``    database (default ``sqlite:///var/plenary.sqlite3``)
``REDIS_URL``       Redis for the channel layer, room bus and shared counters (optional)
``SECRET_KEY``      signing key (default: generated into ``var/secret_key``)
``ALLOWED_HOSTS``   comma-separated host names (default ``127.0.0.1,localhost``)
``PLENARY_SITE_DOMAIN`` the site's domain in calendar UIDs (default: first allowed host)
``PLENARY_DEBUG``   ``1`` to turn Django's debug mode on (default off)
``PLENARY_VAR_DIR`` where the embedded default keeps its files (default ``var/``)
``PLENARY_SECURE``  ``1`` behind a TLS-terminating proxy: trust X-Forwarded-Proto,
                    secure cookies, HSTS
``PLENARY_INGEST_RTMP_URL``, ``PLENARY_INGEST_HLS_URL``, ``PLENARY_INGEST_RELAY_URL``,
``PLENARY_PEERTUBE_HOSTS``  the streaming ingest and embeds (docs/streaming.md)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLENARY_VAR_DIR", BASE_DIR / "var"))


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or one generated once and kept in var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting together keep the first key written.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = _env_flag("PLENARY_DEBUG")


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
# The site's name in identifiers that must not change with the address used
# (calendar UIDs): the first allowed host unless set.
PLENARY_SITE_DOMAIN = os.environ.get("PLENARY_SITE_DOMAIN") or ALLOWED_HOSTS[0]
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "plenary.realtime",
    "accounts",
    "assemblies",
    "livechat",
    "minutes",
    "streaming",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "plenary.urls"
ASGI_APPLICATION = "plenary.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'plenary.sqlite3'}"
# Persistent connections: sync views and database_sync_to_async share one thread
# per process, so this keeps about one connection per process instead of opening
# (and, for SQLite, re-running the PRAGMAs) on every socket event.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: every transaction takes the write lock up front, so concurrent
        # writers queue instead of failing with "database is locked" on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "assemblies:home"
LOGOUT_REDIRECT_URL = "assemblies:home"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The room event bus (plenary.realtime.bus): Redis pub/sub across processes when
# REDIS_URL is set, otherwise in-process.
PLENARY_ROOM_BUS_URL = REDIS_URL
# Redis channel names start with this (default: derived from the database name).
PLENARY_BUS_PREFIX = os.environ.get("PLENARY_BUS_PREFIX", "")
# Pre-encoded frames a socket may have waiting before it is closed as too slow.
PLENARY_SOCKET_QUEUE = int(os.environ.get("PLENARY_SOCKET_QUEUE", "512"))
# Missed events replayed on resume before a fresh snapshot is sent instead.
PLENARY_RESUME_LIMIT = int(os.environ.get("PLENARY_RESUME_LIMIT", "1000"))

# Streaming (docs/streaming.md). The platform's ingest: the RTMP address shown to
# organisers, the public HLS address it writes ({name} is the stream's public name),
# and where nginx-rtmp relays a stream once its key is accepted (empty: no relay).
PLENARY_INGEST_RTMP_URL = os.environ.get("PLENARY_INGEST_RTMP_URL", "")
PLENARY_INGEST_HLS_URL = os.environ.get("PLENARY_INGEST_HLS_URL", "")
PLENARY_INGEST_RELAY_URL = os.environ.get("PLENARY_INGEST_RELAY_URL", "")
# PeerTube instances whose videos may be embedded.
PLENARY_PEERTUBE_HOSTS = _env_list("PLENARY_PEERTUBE_HOSTS", "framatube.org,peertube.fr")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "plenary@localhost")

if _env_flag("PLENARY_SECURE"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000

SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PLENARY_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
