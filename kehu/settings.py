"""Kehu settings: one module, everything from environment variables with embedded defaults.

Embedded mode (nothing set): SQLite in ``KEHU_DATA_DIR`` (default ``./var``), local-memory
cache, in-memory channel layer and huey on SQLite. Team mode: ``DATABASE_URL`` points to
PostgreSQL and ``REDIS_URL`` to Redis, which then carries the cache, the channel layer and
the job queue.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DATA_DIR = Path(env("KEHU_DATA_DIR", str(BASE_DIR / "var")) or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", env_bool("KEHU_DEBUG", False))


def _secret_key() -> str:
    """``SECRET_KEY`` from the environment, else one generated once and kept in the data dir."""
    configured = env("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
SECRET_KEY_FROM_ENV = bool(env("SECRET_KEY"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.admin",
    "channels",
    "template_partials",
    "django_filters",
    "huey.contrib.djhuey",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "ninja",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.dataops",
    "kehu.work",
    "kehu.sales",
    "kehu.service",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kehu.core.middleware.UserLanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kehu.accounts.middleware.SessionPolicyMiddleware",
    "kehu.accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "kehu.core.middleware.SecurityHeadersMiddleware",
    "kehu.core.middleware.ReadsRememberedMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kehu.urls"
CSRF_FAILURE_VIEW = "kehu.core.views.csrf_failure"
ASGI_APPLICATION = "kehu.asgi.application"
WSGI_APPLICATION = "kehu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "kehu" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kehu.core.context_processors.shell",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------
DEFAULT_SQLITE_PATH = DATA_DIR / "kehu.sqlite3"
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}") or ""
# Connections are kept between requests (60 s by default) on either database; on SQLite a
# new connection per request ran the pragmas below each time and began every page with
# SQLite's page cache empty.
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("KEHU_DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {
        # Wait for a busy writer instead of failing at once; write transactions take the
        # lock at BEGIN so two writers never deadlock on a lock upgrade.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA busy_timeout=20000;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
        ),
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_SQLITE = _db["ENGINE"] == "django.db.backends.sqlite3"

# --- Redis: cache, channel layer, job queue ----------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kehu",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "kehu:ch"},
        }
    }
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": env("KEHU_QUEUE_NAME", "kehu"),
        "url": REDIS_URL,
        "immediate": env_bool("KEHU_QUEUE_IMMEDIATE", False),
        "consumer": {
            "workers": env_int("KEHU_WORKERS", 2),
            "worker_type": "thread",
            "verbose": False,
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kehu",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": env_bool("KEHU_QUEUE_IMMEDIATE", False),
        "consumer": {
            "workers": env_int("KEHU_WORKERS", 2),
            "worker_type": "thread",
            "verbose": False,
            # The SQLite queue is polled: huey's default backs off to one look every 10 s when
            # idle, so a job somebody just asked for (an import check) could wait that long.
            # Looking once a second at an idle queue costs nothing measurable.
            "initial_delay": 0.1,
            "backoff": 1.15,
            "max_delay": 1.0,
        },
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Absolute lifetime of a sign-in, and how long it may sit idle (seconds).
KEHU_SESSION_MAX_AGE = env_int("KEHU_SESSION_MAX_AGE", 60 * 60 * 24 * 7)
KEHU_SESSION_IDLE = env_int("KEHU_SESSION_IDLE", 60 * 60 * 8)
SESSION_COOKIE_AGE = KEHU_SESSION_MAX_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
HTTPS = env_bool("KEHU_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
OTP_TOTP_ISSUER = "Kehu"
AXES_FAILURE_LIMIT = env_int("KEHU_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = env("KEHU_LANGUAGE", "zh-hans") or "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "kehu" / "locale"]
TIME_ZONE = env("KEHU_TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kehu_language"
KEHU_DEFAULT_CURRENCY = env("KEHU_CURRENCY", "CNY")
KEHU_PHONE_REGION = env("KEHU_PHONE_REGION", "CN")

# --- Static and media files --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("KEHU_STATIC_ROOT", str(BASE_DIR / "build" / "static")) or "")
# Vendor files are copied from node_modules into build/vendor by scripts/build_assets.py.
STATICFILES_DIRS = [BASE_DIR / "kehu" / "static", ("vendor", BASE_DIR / "build" / "vendor")]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("KEHU_MEDIA_ROOT", str(DATA_DIR / "media")) or "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("KEHU_STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# WhiteNoise serves files with a synchronous iterator, which Django's ASGI handler consumes in a
# thread and warns about on every file. Behind nginx (team mode) static files never reach Kehu.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env("EMAIL_HOST_USER", "") or ""
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "") or ""
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Kehu <kehu@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("KEHU_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "jieba": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # run_huey adds its own handler to the "huey" logger; do not print each line twice.
        "huey": {"level": "WARNING", "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

KEHU_VERSION = "0.1.0"
KEHU_SITE_NAME = _("Kehu")

# The division-of-labour table: the weekday review weeks start on (0 = Monday) and after how
# many days without a change a team's or goal's table is flagged as untouched.
KEHU_WORK_REVIEW_WEEKDAY = env_int("KEHU_WORK_REVIEW_WEEKDAY", 0)
KEHU_WORK_STALE_DAYS = env_int("KEHU_WORK_STALE_DAYS", 14)
