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
# A task queued in a test runs at once, in the test, and its errors fail the test: no test needs a
# worker, and nothing is left waiting in the broker. The one test of the real broker turns it off.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# No cache: a report cached by one test would be served to the next one's different data. Tests
# of the cache switch one on (tests/sip/statistics/test_cache.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
