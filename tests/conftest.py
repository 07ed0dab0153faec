"""Shared fixtures: the cast every permission test uses, and access to real services."""

import os

import pytest
import redis
from django.conf import settings

from actors.models import Membership
from tests import factories, helpers


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
    """Sign a user in with the second factor passed: see tests.helpers.login_verified."""
    return helpers.login_verified
