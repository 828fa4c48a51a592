"""Settings of the compat project, read from the environment (see compat_test/README.md).

DJANGOBRIDGE_SECRET_KEY, DJANGOBRIDGE_SECRET_KEY_FALLBACKS (JSON list, Django 4.1+),
DJANGOBRIDGE_SESSION_ENGINE ("cache", "cached_db", "db", "signed_cookies" or a dotted path),
DJANGOBRIDGE_SESSION_COOKIE_AGE, DJANGOBRIDGE_SESSION_CACHE_ALIAS, DJANGOBRIDGE_DEFAULT_CACHE
(the config id the "default" alias copies), DJANGOBRIDGE_USE_TZ, DJANGOBRIDGE_CSRF_USE_SESSIONS
("1"/"0"), DJANGOBRIDGE_TIME_ZONE (TIME_ZONE, default "UTC"; matters with USE_TZ off),
DJANGOBRIDGE_DB_URL (the database: sqlite:///ABSOLUTE/PATH, postgres://USER:PASS@HOST:PORT/NAME or
mysql://USER:PASS@HOST:PORT/NAME), DJANGOBRIDGE_DB_NAME (overrides the URL's NAME),
DJANGOBRIDGE_SQLITE (the SQLite file when DJANGOBRIDGE_DB_URL is unset),
DJANGOBRIDGE_SESSION_FILE_PATH (SESSION_FILE_PATH of the file engine), plus the server variables
read by caches.py.
"""
import json
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import django

from djproject.caches import build_caches

BASE_DIR = Path(__file__).resolve().parent
CACHE_DIR = BASE_DIR.parent / ".cache"


def _flag(name, default):
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("DJANGOBRIDGE_SECRET_KEY", "djangobridge-compat-secret-key-not-for-production")
if django.VERSION >= (4, 1):
    SECRET_KEY_FALLBACKS = json.loads(os.environ.get("DJANGOBRIDGE_SECRET_KEY_FALLBACKS", "[]"))
DEBUG = _flag("DJANGOBRIDGE_DEBUG", "0")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "djproject.shop",
]
# DJANGOBRIDGE_AUTH_USER_MODEL=members.Member: the custom user model of app members (UUID pk,
# email as USERNAME_FIELD), for the live users test.
if os.environ.get("DJANGOBRIDGE_AUTH_USER_MODEL"):
    AUTH_USER_MODEL = os.environ["DJANGOBRIDGE_AUTH_USER_MODEL"]
    INSTALLED_APPS.append("djproject.members")
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "djproject.urls"
TEMPLATES = []


def database_from_url(url, name=None):
    """A DATABASES entry for sqlite:///ABSOLUTE/PATH, postgres://U:P@H:PORT/NAME, mysql://... .

    ``name``, when given, replaces the URL's database name (SQLite: the file).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # sqlite:///abs/path: the path is everything after the scheme's "//".
        path = unquote(parts.path)
        if not name and not path.startswith("/"):
            raise ValueError("DJANGOBRIDGE_DB_URL: sqlite needs an absolute path (sqlite:///...)")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or path}
    engines = {
        "postgres": "django.db.backends.postgresql",
        "postgresql": "django.db.backends.postgresql",
        "mysql": "django.db.backends.mysql",
        "mariadb": "django.db.backends.mysql",
    }
    if scheme not in engines:
        raise ValueError(f"DJANGOBRIDGE_DB_URL: unknown scheme {scheme!r} (sqlite, postgres, mysql)")
    entry = {
        "ENGINE": engines[scheme],
        "NAME": name or unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
    if entry["ENGINE"] == "django.db.backends.mysql":
        entry["OPTIONS"] = {"charset": "utf8mb4"}
    return entry


if os.environ.get("DJANGOBRIDGE_DB_URL"):
    DATABASES = {
        "default": database_from_url(
            os.environ["DJANGOBRIDGE_DB_URL"], os.environ.get("DJANGOBRIDGE_DB_NAME") or None
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get(
                "DJANGOBRIDGE_SQLITE", str(CACHE_DIR / f"djproject-{django.get_version()}.sqlite3")
            ),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_engine = os.environ.get("DJANGOBRIDGE_SESSION_ENGINE", "cache")
SESSION_ENGINE = _engine if "." in _engine else f"django.contrib.sessions.backends.{_engine}"
SESSION_COOKIE_AGE = int(os.environ.get("DJANGOBRIDGE_SESSION_COOKIE_AGE", str(60 * 60 * 24 * 7 * 2)))
SESSION_CACHE_ALIAS = os.environ.get("DJANGOBRIDGE_SESSION_CACHE_ALIAS", "default")
# None (Django's default) means tempfile.gettempdir().
SESSION_FILE_PATH = os.environ.get("DJANGOBRIDGE_SESSION_FILE_PATH") or None

CACHES = build_caches()
_default = os.environ.get("DJANGOBRIDGE_DEFAULT_CACHE", "redis" if "redis" in CACHES else "pymemcache")
CACHES["default"] = dict(CACHES[_default])

USE_TZ = _flag("DJANGOBRIDGE_USE_TZ", "1")
TIME_ZONE = os.environ.get("DJANGOBRIDGE_TIME_ZONE", "UTC")
USE_I18N = False
LANGUAGE_CODE = "en-us"
CSRF_USE_SESSIONS = _flag("DJANGOBRIDGE_CSRF_USE_SESSIONS", "1")
# DJANGOBRIDGE_MESSAGE_STORAGE: "session" (the tests' default) or "fallback" (Django's default,
# what the demo runs: a signed messages cookie, the session for what does not fit).
MESSAGE_STORAGE = {
    "session": "django.contrib.messages.storage.session.SessionStorage",
    "fallback": "django.contrib.messages.storage.fallback.FallbackStorage",
    "cookie": "django.contrib.messages.storage.cookie.CookieStorage",
}[os.environ.get("DJANGOBRIDGE_MESSAGE_STORAGE", "session")]
LOGIN_URL = "/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
