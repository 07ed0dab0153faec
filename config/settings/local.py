"""`make run`: embedded defaults, no outside services (SQLite, Celery's filesystem broker)."""

from .base import *
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret")

_broker_dir = BASE_DIR / "var" / "celery-broker"
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(_broker_dir),
    "data_folder_out": str(_broker_dir),
    "processed_folder": str(BASE_DIR / "var" / "celery-processed"),
    "store_processed": False,
}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# DEMO ONLY: the demo logins (chef.soc, admin) would otherwise have to enrol a TOTP app before they
# see anything. Every other settings file keeps the second factor on; production must never copy
# this line (docs/security.md).
SAMORDNA_REQUIRE_2FA = False
