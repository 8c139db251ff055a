"""Settings of the notifications service, extracted from the monolith by decompose.

Everything that differs between environments comes from the environment (read with
django-environ; DATABASE_URL with dj-database-url):

- DJANGO_SECRET_KEY: required unless DJANGO_DEBUG=1 (the service refuses to start without it);
- DJANGO_DEBUG=1: development only (a throw-away secret key is allowed then);
- DJANGO_ALLOWED_HOSTS: comma-separated host names (default: 127.0.0.1, localhost, [::1]; never ``*``
  unless you set it);
- DATABASE_URL: ``sqlite:///path``, ``postgres://user:pass@host:5432/name`` (psycopg), ``mysql://...``
  (default: SQLite file db.sqlite3 next to manage.py); DATABASE_CONN_MAX_AGE (seconds, default 0);
- DECOMPOSE_SERVICE_TOKEN: the bearer token every API call to this service must carry (inbound);
- MONOLITH_URL, MONOLITH_TOKEN, MONOLITH_TIMEOUT: how this service calls the monolith (outbound;
  MONOLITH_TOKEN is its own secret, never the inbound one);
- DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE: the largest request body accepted (bytes, default 1 MiB).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: the notifications service does not start with a public key "
            "(set DJANGO_SECRET_KEY, or DJANGO_DEBUG=1 for development)"
        )
    SECRET_KEY = "insecure-development-key-for-DJANGO_DEBUG-only"
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

#: The token callers send as "Authorization: Bearer <token>". Empty: every call is refused.
SERVICE_TOKEN = env.str("DECOMPOSE_SERVICE_TOKEN", default="")

#: DECOMPOSE_TEST_RESET=1: POST /api/v1/_test/reset empties the service's data (a monolith's test suite run
#: against this service resets it after each test). Off by default; never on in production.
DECOMPOSE_TEST_RESET = env.bool("DECOMPOSE_TEST_RESET", default=False)

#: Request bodies larger than this are refused (400), and JSON nested deeper than JSON_MAX_DEPTH.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
JSON_MAX_DEPTH = 32
#: Every list endpoint pages with ?limit=&offset= (default and largest page).
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "drf_spectacular",
    "notifications_service",
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "core",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "notifications_service.rest.unscoped_api",
]

ROOT_URLCONF = "notifications_service.urls"
WSGI_APPLICATION = "notifications_service.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]


DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=env.int("DATABASE_CONN_MAX_AGE", default=0)
    )
}
# as in the monolith (shop/settings.py:91)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#: errors (a 500's traceback) and warnings go to stderr, where gunicorn and the orchestrator collect them
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["notifications_service.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["notifications_service.auth.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "notifications_service.rest.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "notifications service",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": ["notifications_service.auth.BearerTokenAuthentication"],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Settings the moved code reads, copied from shop.settings.
TIME_ZONE = "Europe/Paris"  # the monolith's (shop/settings.py:86)
DEFAULT_FROM_EMAIL = "shop@example.com"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
NOTIFICATION_BACKEND = "notifications.backends.OutboxBackend"

#: a service started for the monolith's test suite: its mails in the suite's outbox
if DECOMPOSE_TEST_RESET:
    EMAIL_BACKEND = 'django.core.mail.backends.locmem.EmailBackend'  # its outbox, relayed to the suite's (suite_mail.py)

# The moved apps' pages (web_urls.py), served as the monolith serves them: its middleware, context
# processors and template tag libraries, behind the identity assertion (identity.py).
INSTALLED_APPS += [
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "notifications_service.rest.unscoped_api",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "notifications_service.identity.IdentityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
TEMPLATES[0]["OPTIONS"]["context_processors"] = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
]
# TODO(decompose): the monolith's context processor web.context_processors.shop_context is not run here: it uses staying code that cannot be copied (cart.services)
#: The key the monolith signs identity assertions with (X-Decompose-Identity): at least 32 characters.
IDENTITY_KEY = env.str("DECOMPOSE_IDENTITY_KEY", default="")
if len(IDENTITY_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured(
        "DECOMPOSE_IDENTITY_KEY is not set or shorter than 32 characters: the notifications service "
        "does not start without the key the monolith signs identity assertions with "
        "(or DJANGO_DEBUG=1 for development)"
    )
#: not the monolith's cookies: the service never reads or replaces the monolith's session or messages
SESSION_COOKIE_NAME = "notifications_sessionid"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "/account/login/"  # the monolith's login page (reached through its proxy)
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"] = [
    *SPECTACULAR_SETTINGS.get("PREPROCESSING_HOOKS", []),
    "notifications_service.web_urls.api_only",
]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    *REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
    "notifications_service.identity.IdentityAuthentication",
]

#: the remote ORM of the staying models the moved code uses (monolith_client/, monolith.stand_in): the monolith's
#: query and command endpoints, at MONOLITH_URL with this service's own MONOLITH_TOKEN; reads are retried, writes
#: carry an Idempotency-Key
DECOMPOSE_SERVICES = {
    "monolith": {
        "mode": "remote",
        "url": env.str("MONOLITH_URL", default=""),
        "token": env.str("MONOLITH_TOKEN", default=""),
        "read_timeout": env.float("MONOLITH_TIMEOUT", default=5.0),
    }
}
