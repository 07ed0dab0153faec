"""Helpers shared by test modules."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.selectors import user_roles
from tests import factories


def login_verified(client, user) -> TOTPDevice | None:
    """Sign a user in with the second factor passed: the standard way to log in in tests.

    Logs `user` in on the test client; for a manager or admin it also marks the session as
    TOTP-verified with the user's confirmed device (created if missing), exactly as a real
    verification does (django_otp.login stores the device's persistent id in the session), and
    returns the device. Plain `client.force_login` leaves them stuck on the verification page.
    """
    client.force_login(user)
    roles = user_roles(user=user)
    if not (roles.is_manager or roles.is_admin):
        return None
    device = factories.TOTPDeviceFactory(user=user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
