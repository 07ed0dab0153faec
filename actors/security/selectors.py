"""Reads for the second factor: who must use it and which device a user has."""

from django.conf import settings
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.context_processors import request_roles
from actors.models import User


def two_factor_required(*, request: HttpRequest) -> bool:
    """Managers and directory admins must use TOTP; coordinators are not forced to."""
    if not settings.SAMORDNA_REQUIRE_2FA or not request.user.is_authenticated:
        return False
    roles = request_roles(request)
    return roles.is_manager or roles.is_admin


def two_factor_pending(*, request: HttpRequest) -> bool:
    """True while a signed-in user who must use TOTP has not passed it in this session.

    django-otp's OTPMiddleware gives `request.user` its `is_verified()`.
    """
    user = request.user
    return user.is_authenticated and not user.is_verified() and two_factor_required(request=request)


def totp_device_for_user(*, user: User, confirmed: bool) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("pk").first()
