"""Writes for the second factor: enrol a TOTP device, confirm it, verify a code at login.

A wrong code must be remembered (django-otp's throttling counts it on the device and makes each
next try wait twice as long), so the error is raised only after the transaction that counted it.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.models import User
from actors.security.selectors import totp_device_for_user
from config.exceptions import ApplicationError

DEVICE_NAME = "Samordna"


def _check_token(*, device: TOTPDevice, token: str, by: User) -> str:
    """Verify `token` on a locked device; return "" when accepted, else the Swedish reason."""
    device._history_user = by
    allowed, _data = device.verify_is_allowed()
    if not allowed:
        return _("För många felaktiga koder i rad. Vänta en stund och försök igen.")
    if device.verify_token(token):
        return ""
    return _(
        "Koden stämmer inte. Skriv in den sexsiffriga kod som appen visar just nu och kontrollera "
        "att telefonens klocka går rätt."
    )


def _locked_device(*, user: User, confirmed: bool) -> TOTPDevice | None:
    return (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=confirmed)
        .order_by("pk")
        .first()
    )


def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The user's unconfirmed device, created on first use: reloading the page keeps its QR code."""
    with transaction.atomic():
        # Two tabs opening the page at once must not create two devices.
        User.objects.select_for_update().get(pk=user.pk)
        if totp_device_for_user(user=user, confirmed=True):
            raise ApplicationError(_("Tvåfaktorinloggning är redan aktiverad för ditt konto."))
        device = totp_device_for_user(user=user, confirmed=False)
        if device is None:
            device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=False)
            device._history_user = user
            device.save()
        return device


def totp_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    """Confirm the unconfirmed device with a code from the app; only then does it count."""
    with transaction.atomic():
        device = _locked_device(user=user, confirmed=False)
        if device is None:
            raise ApplicationError(_("Aktiveringen har gått ut. Ladda om sidan och börja om."))
        error = _check_token(device=device, token=token, by=user)
        if not error:
            device.confirmed = True
            device.save()
    if error:
        raise ApplicationError(error)
    return device


def two_factor_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a code against the user's confirmed device; the device that accepted it is returned."""
    with transaction.atomic():
        device = _locked_device(user=user, confirmed=True)
        if device is None:
            raise ApplicationError(_("Du har ingen aktiverad tvåfaktorinloggning."))
        error = _check_token(device=device, token=token, by=user)
    if error:
        raise ApplicationError(error)
    return device
