"""The admin site: Django's, except that a user who needs the second factor must have passed it."""

from django.contrib.admin import AdminSite
from django.http import HttpRequest

from actors.security.selectors import two_factor_pending


class SamordnaAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        # TwoFactorMiddleware already stops such a request; this holds even if it is removed.
        return super().has_permission(request) and not two_factor_pending(request=request)
