"""Shared fixtures: the cast every permission test uses, and access to real services."""

import os

import pytest
import redis
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.models import Membership
from tests import factories


@pytest.fixture
def coordinator(db):
    """A coordinator in a social-services unit: the owner of most things in tests."""
    return factories.MembershipFactory(role=Membership.Role.COORDINATOR).user


@pytest.fixture
def colleague(coordinator):
    """Another coordinator in the same unit as `coordinator`: has access."""
    unit = coordinator.memberships.get().unit
    return factories.MembershipFactory(unit=unit, role=Membership.Role.COORDINATOR).user


@pytest.fixture
def outsider(db):
    """A coordinator of an unrelated unit: should have no access."""
    return factories.MembershipFactory(role=Membership.Role.COORDINATOR).user


@pytest.fixture
def manager(coordinator):
    unit = coordinator.memberships.get().unit
    return factories.MembershipFactory(unit=unit, role=Membership.Role.MANAGER).user


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(is_staff=True, is_superuser=True, username="admin-test")


@pytest.fixture
def redis_url() -> str:
    """The Redis URL for tests that need a real broker.

    In CI (CI=true) a missing Redis fails the test: a silent skip would hide a broken set-up.
    On a bare developer machine the test is skipped with the reason printed.
    """
    url = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI but not reachable at {url}: {exc}")
        pytest.skip(f"Redis not reachable at {url} ({exc}); start it to run this test")
    return url


@pytest.fixture
def login_verified():
    """Sign a user in with the second factor passed: the standard way to log in managers/admins.

    `login_verified(client, user)` logs `user` in on the test client and marks the session as
    TOTP-verified with the user's confirmed device (created if missing), exactly as a real
    verification does (django_otp.login stores the device's persistent id in the session).
    It returns the device. Coordinators can use it too; plain `client.force_login` leaves a
    manager or admin stuck on the verification page.
    """

    def login(client, user) -> TOTPDevice:
        client.force_login(user)
        device = factories.TOTPDeviceFactory(user=user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return login
