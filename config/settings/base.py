"""Settings shared by every environment. Environment-specific files override what differs."""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])

# Internationalisation: Swedish first; English can follow through the same catalogues.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Svenska")), ("en", _("Engelska"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # The admin with Samordna's site class, which also asks for the second factor.
    "config.apps.AdminConfig",
]
THIRD_PARTY_APPS = [
    "guardian",
    "simple_history",
    "django_celery_beat",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
]
LOCAL_APPS = [
    "actors",
    "agreements",
    "deadlines",
    "sip",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

AUTH_USER_MODEL = "actors.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username+IP before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "actors.security.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "actors.security.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes wants to be last so that it sees the outcome of the login view.
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "actors.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'samordna.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 30 * 60
# The idle timeout slides with use, but the session row is rewritten at most once a minute
# (actors.security.middleware.SessionRefreshMiddleware): rewriting it on every request cost a
# write and a commit per page view. A session therefore ends 30 minutes after the last refresh,
# which is at most a minute before 30 minutes after the last request: never later.
SESSION_SAVE_EVERY_REQUEST = False
SAMORDNA_SESSION_REFRESH_SECONDS = 60
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Samordna <noreply@samordna.local>")

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# The agreements' source documents (the seed texts), shown read-only beside their rules.
AGREEMENT_SOURCES_DIR = Path(
    env("AGREEMENT_SOURCES_DIR", default=str(BASE_DIR.parent / "shared" / "seeds"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_personnummer": {"()": "config.log_filters.RedactPersonnummerFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_personnummer"],
        },
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    # Django's own default handlers (console, mail_admins, django.server) do not redact: route
    # its loggers through the redacting handler instead.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Cache ---------------------------------------------------------------------------------------
# Per process here (and `make run`); production uses Redis (production.py), tests no cache unless a
# test asks for one (test.py). Only the follow-up statistics use it (sip/statistics).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# How long a computed indicator report is served before it is computed again (seconds); the page
# shows when its figures were computed (docs/statistics.md, "Cache").
STATISTICS_CACHE_SECONDS = env.int("STATISTICS_CACHE_SECONDS", default=60 * 60)
# Each run of the beat task "Statistik i förväg" computes the country's report and those of this
# many steering groups and managers' unit sets (whose people signed in last), each for two years.
STATISTICS_PRECOMPUTE_SCOPES = env.int("STATISTICS_PRECOMPUTE_SCOPES", default=50)
# --- end cache -----------------------------------------------------------------------------------

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_URL = env(
    "CELERY_BROKER_URL", default=env("REDIS_URL", default="redis://127.0.0.1:6379/0")
)
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Keep Django's LOGGING (with its personnummer redaction) in the worker too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# --- end Celery ----------------------------------------------------------------------------------

# --- Security hardening (docs/security.md) -------------------------------------------------------
# Managers and directory admins must pass a TOTP check after the password (actors.security).
SAMORDNA_REQUIRE_2FA = True
OTP_TOTP_ISSUER = "Samordna"
# Admins may delete a lost device but never read another user's TOTP secret or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Login throttling: 5 failures for one username from one IP address lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "actors.security.views.lockout"

# Only our own files: no inline scripts or styles, no framing, forms post only to us.
# Bootstrap's CSS draws its icons (menu, select arrows, checkboxes) from data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
# --- end security hardening ----------------------------------------------------------------------
