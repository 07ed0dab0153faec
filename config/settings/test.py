"""Test settings: PostgreSQL (CI exports DATABASE_URL; the default is this machine's server)."""

from .base import *
from .base import env

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/samordna"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_BROKER_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/15")
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
