"""The second factor: managers and admins enrol a TOTP app, then pass a code after the password."""

import datetime as dt

import pytest
import time_machine
from django.contrib import admin
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.models import Membership
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "losenord-123"  # tests.factories.UserFactory's


def code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code the phone shows now (`offset` steps of 30 seconds away), as the app would."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0 - offset * device.step, device.digits)
    return f"{value:0{device.digits}d}"


def password_login(client, user, next_url: str = ""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def verify_url(next_url: str) -> str:
    return f"{reverse('two_factor:verify')}?next={next_url.replace('/', '%2F')}"


@pytest.fixture
def case_url(coordinator):
    unit = coordinator.memberships.get().unit
    case = factories.CaseFactory(convening_unit=unit, coordinator=coordinator)
    return reverse("sip:case_detail", args=[case.pk])


# --- who must use it ------------------------------------------------------------------------------


def test_a_manager_who_has_only_given_the_password_is_sent_from_a_case_page_to_verify(
    client, manager, case_url
):
    factories.TOTPDeviceFactory(user=manager)
    password_login(client, manager)

    response = client.get(case_url)

    assert response.status_code == 302
    assert response["Location"] == verify_url(case_url)


def test_a_manager_without_a_device_is_sent_on_to_enrolment(client, manager, case_url):
    password_login(client, manager)

    response = client.get(case_url, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("two_factor:enrol"))
    assert "Aktivera tvåfaktorinloggning" in response.content.decode()


def test_a_directory_admin_must_verify_before_the_directory_and_the_admin(client, admin_user):
    factories.TOTPDeviceFactory(user=admin_user)
    password_login(client, admin_user)

    for url in (reverse("actors:directory"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == verify_url(url)


def test_the_admin_site_itself_refuses_an_unverified_admin(rf, admin_user):
    """Even without TwoFactorMiddleware in front, the site's own permission check says no."""

    def request(*, verified: bool):
        request = rf.get("/admin/")
        admin_user.is_verified = lambda: verified
        request.user = admin_user
        return request

    assert admin.site.has_permission(request(verified=False)) is False
    assert admin.site.has_permission(request(verified=True)) is True


def test_a_coordinator_is_not_asked_for_a_second_factor(client, coordinator, case_url):
    password_login(client, coordinator)

    assert client.get(case_url).status_code == 200
    assert client.get(reverse("two_factor:verify")).status_code == 302


def test_a_manager_of_an_inactive_membership_is_treated_as_a_coordinator(client, coordinator):
    factories.MembershipFactory(user=coordinator, role=Membership.Role.MANAGER, is_active=False)
    password_login(client, coordinator)

    assert client.get(reverse("home")).status_code == 200


def test_an_htmx_request_is_told_to_load_the_verification_page(client, manager, case_url):
    factories.TOTPDeviceFactory(user=manager)
    password_login(client, manager)

    response = client.get(case_url, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"] == verify_url(case_url)


def test_the_query_string_is_not_carried_into_the_redirect(client, manager):
    factories.TOTPDeviceFactory(user=manager)
    password_login(client, manager)

    response = client.get(reverse("sip:case_list"), {"q": "19121212-1212"})

    assert "1212" not in response["Location"]


def test_with_the_setting_off_a_manager_goes_straight_in(client, manager, case_url, settings):
    settings.SAMORDNA_REQUIRE_2FA = False
    password_login(client, manager)

    assert client.get(case_url).status_code == 200


# --- enrolment ------------------------------------------------------------------------------------


def test_a_manager_enrols_by_scanning_the_qr_code_and_typing_the_first_code(
    client, manager, case_url
):
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)
        page = client.get(reverse("two_factor:enrol"), {"next": case_url})
        content = page.content.decode()
        assert 'src="data:image/svg+xml;base64,' in content
        device = TOTPDevice.objects.get(user=manager)
        assert device.confirmed is False
        # Reloading the page shows the same key: the phone may already have scanned it.
        client.get(reverse("two_factor:enrol"))
        assert TOTPDevice.objects.get(user=manager).pk == device.pk

        response = client.post(
            reverse("two_factor:enrol"), {"token": code(device), "next": case_url}
        )

        assert response.status_code == 302
        assert response["Location"] == case_url
        device.refresh_from_db()
        assert device.confirmed is True
        assert client.get(case_url).status_code == 200
        assert device.history.filter(confirmed=True).first().history_user == manager


def test_enrolment_refuses_a_wrong_code_in_swedish_and_keeps_the_device_unconfirmed(
    client, manager
):
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)
        client.get(reverse("two_factor:enrol"))
        device = TOTPDevice.objects.get(user=manager)

        response = client.post(reverse("two_factor:enrol"), {"token": code(device, offset=5)})

    assert response.status_code == 200
    assert "Koden stämmer inte." in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False


def test_the_enrolment_page_sends_a_user_with_a_device_to_verification(client, manager):
    factories.TOTPDeviceFactory(user=manager)
    password_login(client, manager)

    response = client.get(reverse("two_factor:enrol"))

    assert response["Location"].startswith(reverse("two_factor:verify"))
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_a_code_must_be_six_digits(client, manager):
    factories.TOTPDeviceFactory(user=manager)
    password_login(client, manager)

    response = client.post(reverse("two_factor:verify"), {"token": "12ab56"})

    assert "Koden består av sex siffror." in response.content.decode()


# --- verification ---------------------------------------------------------------------------------


def test_the_right_code_verifies_the_session_and_returns_to_the_page(client, manager, case_url):
    device = factories.TOTPDeviceFactory(user=manager)
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)
        session_before = client.session.session_key

        # Typed as the app shows it, with a space in the middle.
        token = f"{code(device)[:3]} {code(device)[3:]}"
        response = client.post(verify_url(case_url), {"token": token})

        assert response["Location"] == case_url
        assert client.get(case_url).status_code == 200
        assert client.session.session_key != session_before


def test_a_wrong_code_is_refused_in_swedish(client, manager, case_url):
    device = factories.TOTPDeviceFactory(user=manager)
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)

        response = client.post(reverse("two_factor:verify"), {"token": code(device, offset=5)})

        assert response.status_code == 200
        assert "Koden stämmer inte." in response.content.decode()
        assert client.get(case_url).status_code == 302


def test_a_used_code_cannot_be_used_again(client, manager):
    device = factories.TOTPDeviceFactory(user=manager)
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)
        token = code(device)
        client.post(reverse("two_factor:verify"), {"token": token})
        client.post(reverse("logout"))
        password_login(client, manager)

        response = client.post(reverse("two_factor:verify"), {"token": token})

    assert "Koden stämmer inte." in response.content.decode()


def test_after_a_wrong_code_the_next_try_must_wait(client, manager):
    device = factories.TOTPDeviceFactory(user=manager)
    with time_machine.travel(NOW, tick=False) as clock:
        password_login(client, manager)
        client.post(reverse("two_factor:verify"), {"token": code(device, offset=5)})

        # django-otp's throttling: 1 second after one failure, doubling with each further one.
        response = client.post(reverse("two_factor:verify"), {"token": code(device)})
        assert "För många felaktiga koder i rad." in response.content.decode()

        clock.shift(dt.timedelta(seconds=2))
        response = client.post(reverse("two_factor:verify"), {"token": code(device)})
        assert response.status_code == 302


def test_a_next_address_on_another_site_is_ignored(client, manager):
    device = factories.TOTPDeviceFactory(user=manager)
    with time_machine.travel(NOW, tick=False):
        password_login(client, manager)
        response = client.post(
            reverse("two_factor:verify"), {"token": code(device), "next": "https://evil.example/"}
        )

    assert response["Location"] == reverse("home")


def test_deleting_the_device_ends_the_verified_state(client, login_verified, manager, case_url):
    device = login_verified(client, manager)
    assert client.get(case_url).status_code == 200

    device.delete()

    assert client.get(case_url)["Location"].startswith(reverse("two_factor:verify"))


def test_logging_out_ends_the_verified_state(client, login_verified, manager, case_url):
    login_verified(client, manager)
    client.post(reverse("logout"))
    password_login(client, manager)

    assert client.get(case_url).status_code == 302


def test_the_login_verified_fixture_lets_a_manager_and_an_admin_in(
    client, login_verified, manager, admin_user, case_url
):
    login_verified(client, manager)
    assert client.get(case_url).status_code == 200
    login_verified(client, admin_user)
    assert client.get(reverse("admin:index")).status_code == 200
