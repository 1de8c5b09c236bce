"""Django settings, derived from the layered installation config (see :mod:`schulhof.config`).

Nothing here is meant to be edited by an admin: they write ``schulhof.toml`` or set
``SCHULHOF_*`` environment variables. School policy lives in the database.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from schulhof.config import load_config, load_secrets

CONFIG = load_config()
SECRETS = load_secrets(CONFIG)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir
for sub in ("db", "logs", "files", "mail", "static"):
    (DATA_DIR / sub).mkdir(parents=True, exist_ok=True)

SECRET_KEY = SECRETS["secret_key"]
INTERNAL_API_TOKEN = SECRETS.get("internal_api_token", "")
DEBUG = CONFIG.debug
TESTING = os.environ.get("SCHULHOF_TESTING") == "1"

ALLOWED_HOSTS = CONFIG.allowed_hosts or ["127.0.0.1", "localhost", "[::1]"]
if CONFIG.public_url:
    from urllib.parse import urlsplit

    _public_host = urlsplit(CONFIG.public_url).hostname
    if _public_host and _public_host not in ALLOWED_HOSTS:
        ALLOWED_HOSTS.append(_public_host)
    CSRF_TRUSTED_ORIGINS = [CONFIG.public_url.rstrip("/")]
SCHULHOF_BASE_URL = CONFIG.base_url

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "schulhof.core",
    "schulhof.accounts",
    "schulhof.schoolimport",
    "schulhof.files",
    "schulhof.mail",
    "schulhof.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "schulhof.accounts.sessions.SessionTrackingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "schulhof.core.middleware.ClientAddressMiddleware",
    "schulhof.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "schulhof.urls"
WSGI_APPLICATION = "schulhof.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "schulhof.web.context_processors.portal",
                "schulhof.accounts.context_processors.sanctions",
                "schulhof.accounts.context_processors_lifecycle.leaver_notice",
            ],
        },
    }
]

if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(CONFIG.db_path),
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock
                # at BEGIN so concurrent transactions wait (timeout) instead of failing midway.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["schulhof.accounts.backends.SchulhofBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    # Argon2 first: Dovecot verifies the same hashes for IMAP/SMTP logins.
    "schulhof.accounts.hashers.SchulhofArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "schulhof.accounts.passwords.SchulhofPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if CONFIG.behind_tls_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365

LANGUAGE_CODE = "de"
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = CONFIG.time_zone

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_MAX_AGE = 60 * 60 * 24 * 30

SCHULHOF_CONFIG = CONFIG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
