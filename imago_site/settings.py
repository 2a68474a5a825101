"""Imago settings: one file, read from environment variables.

Embedded defaults (SQLite file, in-memory channel layer) make `make run` work on a bare machine;
DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis. See README "Configuration".
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("IMAGO_DEBUG")

SECRET_KEY = os.environ.get("IMAGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "IMAGO_SECRET_KEY must be set when DEBUG is off (set IMAGO_DEBUG=1 for local "
            "development, or generate a key with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "local-development-only-not-secret-" + "x" * 20

ALLOWED_HOSTS = envlist("IMAGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = envlist("IMAGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_htmx",
    "template_partials",
    "axes",
    "huey.contrib.djhuey",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "couples",
    "dialogue",
    "exercises",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "couples.middleware.AccountSessionMiddleware",
    "couples.middleware.PrivatePagesMiddleware",
    "couples.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "imago_site.urls"
WSGI_APPLICATION = "imago_site.wsgi.application"
ASGI_APPLICATION = "imago_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "couples.context_processors.notifications",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("IMAGO_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # A file, not memory, so a live daphne in another process sees the test data; one
            # per test process, so concurrent runs never delete each other's database.
            "TEST": {"NAME": str(BASE_DIR / f"test_db_{os.getpid()}.sqlite3")},
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # The pub/sub layer holds thousands of sockets per process; the list-based
    # RedisChannelLayer refused connections near 1,000 with its default pool.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Flood limits of the live dialogue socket (dialogue/flood.py, docs/protocol.md): per kind of
# frame, (burst, refill per second) for one connection; a person's connections together get
# `per_person` times as much; `strikes` frames dropped in a row close the socket.
# IMAGO_FLOOD_SCALE multiplies every burst and rate (a benchmark's scripted clients need more).
_flood_scale = envint("IMAGO_FLOOD_SCALE", 1)
DIALOGUE_FLOOD = {
    **{
        kind: (burst * _flood_scale, rate * _flood_scale)
        for kind, (burst, rate) in {
            "frame": (40, 10.0),
            "action": (30, 2.0),
            "sync": (5, 0.2),
            "typing": (10, 2.0),
        }.items()
    },
    "per_person": 3,
    "strikes": 20,
}

# Threads (each with its own database connection) that run the live dialogue's database work in
# one server process (dialogue/live.py). With the GIL they add no CPU, and measured 2 against 4 in
# one run (docs/performance.md, "CPU per action") cost the same per action within noise; 4 stay
# because the threads mostly wait on PostgreSQL (a row lock, a round trip), so a slow read — a
# join of a long dialogue — does not hold up turns. 1 thread was far slower (p50 1.1 s at 100
# couples against 0.13 s with 4).
DIALOGUE_DB_THREADS = envint("IMAGO_DIALOGUE_DB_THREADS", 4)

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "couples.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "couples:home"
LOGOUT_REDIRECT_URL = "couples:home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3

# Brute-force protection on the login form (django-axes): lock a username+address pair.
AXES_FAILURE_LIMIT = envint("IMAGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("IMAGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The login form posts the email in a field named "username" (Django's AuthenticationForm).
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Password reset requests per hour, counted per typed address and per client address.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = envint("IMAGO_RESET_PER_ADDRESS", 3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = envint("IMAGO_RESET_PER_CLIENT", 10)

# Second factor (django-otp): TOTP apps, plus single-use recovery codes (static tokens).
OTP_TOTP_ISSUER = "Imago"
RECOVERY_CODE_COUNT = 10

INVITATION_VALID_DAYS = 7
# Wrong invitation codes a user may try per hour before we stop checking.
INVITATION_CODE_ATTEMPTS_PER_HOUR = envint("IMAGO_INVITATION_CODE_ATTEMPTS", 10)

# --- Email --------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("IMAGO_FROM_EMAIL", "Imago <no-reply@localhost>")
if os.environ.get("IMAGO_EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["IMAGO_EMAIL_HOST"]
    EMAIL_PORT = envint("IMAGO_EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("IMAGO_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("IMAGO_EMAIL_PASSWORD", "")
    EMAIL_USE_TLS = envbool("IMAGO_EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Notifications and the scheduler -------------------------------------------------------------
# Absolute links in emails (and the unsubscribe link) start with this.
SITE_URL = os.environ.get("IMAGO_SITE_URL", "http://127.0.0.1:8000")
# A partner waiting in a dialogue is emailed only if not seen in the app within this delay.
NOTIFY_PARTNER_WAITING_DELAY = envint("IMAGO_PARTNER_WAITING_DELAY_SECONDS", 180)
# huey: delayed and periodic tasks. Its SQLite file by default (no extra server; `make run`
# starts the consumer next to daphne); Redis when REDIS_URL is set. IMAGO_TASKS_IMMEDIATE=1 runs
# tasks in the calling process instead (tests, a one-process demo).
HUEY = {
    "name": "imago",
    "immediate": envbool("IMAGO_TASKS_IMMEDIATE"),
    "utc": True,
    "consumer": {"workers": 1, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update(
        {
            "huey_class": "huey.SqliteHuey",
            "filename": os.environ.get("IMAGO_TASKS_PATH", str(BASE_DIR / "tasks.sqlite3")),
        }
    )

# Web Push (VAPID): the key from the environment (base64url, raw or DER), else made at first use
# and kept in IMAGO_VAPID_PATH. The subject tells push services whom to contact.
VAPID_PRIVATE_KEY = os.environ.get("IMAGO_VAPID_PRIVATE_KEY", "")
VAPID_KEY_PATH = Path(os.environ.get("IMAGO_VAPID_PATH", str(BASE_DIR / "vapid_private.pem")))
VAPID_SUBJECT = os.environ.get("IMAGO_VAPID_SUBJECT", "mailto:no-reply@localhost")
# Push endpoints must be HTTPS; plain HTTP to this machine only where this is on (tests).
PUSH_ALLOW_LOOPBACK_HTTP = envbool("IMAGO_PUSH_ALLOW_LOOPBACK_HTTP")

# --- HTTPS and cookies --------------------------------------------------------------------------
HTTPS = envbool("IMAGO_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("IMAGO_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = envbool("IMAGO_HSTS_PRELOAD", HTTPS)
if envbool("IMAGO_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts and styles come from our own static files only.
# No inline <script>, <style>, style="" or on*="" in any template (docs/architecture.md);
# htmx's own indicator <style> is switched off by the htmx-config meta tag in base.html.
# 'self' covers the dialogue's websocket (ws/wss to the same host) in current browsers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): the app needs no device feature at all.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("IMAGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("IMAGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
