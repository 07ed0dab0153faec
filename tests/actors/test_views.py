import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actors.models import Unit
from tests import factories
from tests.actors.csvdata import GOOD
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:index",
    "admin:actors_unit_changelist",
    "admin:actors_huvudman_changelist",
    "admin:actors_user_changelist",
    "actors:directory",
    "actors:import",
    "actors:export",
]


def csv_upload(text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile("katalog.csv", text.encode(encoding), content_type="text/csv")


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_admin_can_open_the_directory_pages(client, login_verified, admin_user, name):
    factories.MembershipFactory()
    login_verified(client, admin_user)

    response = client.get(reverse(name))

    assert response.status_code == 200


@pytest.mark.parametrize("name", ["actors:directory", "actors:import", "actors:export"])
def test_a_coordinator_is_refused_the_directory_pages(client, coordinator, name):
    login_verified(client, coordinator)

    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["admin:index", "admin:actors_unit_changelist"])
def test_a_coordinator_is_sent_away_from_the_admin(client, coordinator, name):
    login_verified(client, coordinator)

    response = client.get(reverse(name))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_anonymous_visitor_is_sent_to_login(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert "login" in response["Location"] or "logga-in" in response["Location"]


def test_a_coordinator_posting_an_import_is_refused_and_nothing_is_written(client, coordinator):
    login_verified(client, coordinator)

    response = client.post(reverse("actors:import"), {"content": GOOD})

    assert response.status_code == 403
    assert not Unit.objects.filter(key="lulea-ifo").exists()


@pytest.mark.parametrize("count", [10, 100])
def test_the_directory_page_needs_the_same_queries_for_10_and_100_units(
    client, login_verified, admin_user, django_assert_max_num_queries, count
):
    factories.UnitFactory.create_batch(count)
    login_verified(client, admin_user)

    # 16: one of them loads the session's TOTP device to check the second factor.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("actors:directory"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 50)


def test_the_directory_filters_by_name_kind_municipality_and_huvudman(
    client, login_verified, admin_user
):
    wanted = factories.UnitFactory(name="BUP Luleå", kind=Unit.Kind.BUP)
    factories.UnitFactory(name="BUP Piteå", kind=Unit.Kind.BUP)
    factories.UnitFactory(name="Förskola Luleå", kind=Unit.Kind.PRESCHOOL)
    login_verified(client, admin_user)

    response = client.get(
        reverse("actors:directory"),
        {
            "q": "luleå",
            "kind": "bup",
            "municipality": wanted.municipality.code,
            "huvudman": wanted.huvudman.pk,
        },
    )

    assert [unit.key for unit in response.context["page"]] == [wanted.key]


def test_the_export_is_a_csv_download_with_every_unit(client, login_verified, admin_user):
    unit = factories.UnitFactory(name="Vårdcentral Öjebyn")
    login_verified(client, admin_user)

    response = client.get(reverse("actors:export"))

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert unit.name in response.content.decode("utf-8-sig")


def test_uploading_a_file_shows_a_preview_and_writes_nothing(client, login_verified, admin_user):
    login_verified(client, admin_user)
    upload = csv_upload(GOOD)

    response = client.post(reverse("actors:import"), {"file": upload})

    assert response.status_code == 200
    assert response.context["result"].created == 4
    assert response.context["confirm_form"].initial["content"] == GOOD
    assert "Bekräfta och importera" in response.content.decode()
    assert not Unit.objects.exists()


def test_confirming_imports_the_resubmitted_content_with_the_admin_as_history_user(
    client, login_verified, admin_user
):
    login_verified(client, admin_user)

    response = client.post(reverse("actors:import"), {"content": GOOD})

    assert response.status_code == 302
    unit = Unit.objects.get(key="lulea-ifo")
    assert unit.history.get().history_user == admin_user


def test_a_tampered_confirmation_is_validated_again_and_refused(client, login_verified, admin_user):
    login_verified(client, admin_user)

    response = client.post(
        reverse("actors:import"), {"content": GOOD.replace("212000-2742", "212000-2743")}
    )

    assert response.status_code == 200
    assert response.context["result"].errors
    assert "confirm_form" not in response.context
    assert not Unit.objects.exists()


def test_a_file_that_is_not_utf8_gets_a_form_error(client, login_verified, admin_user):
    login_verified(client, admin_user)
    upload = csv_upload(GOOD, encoding="utf-16")

    response = client.post(reverse("actors:import"), {"file": upload})

    assert response.status_code == 200
    assert "UTF-8" in response.context["upload_form"].errors["file"][0]


def test_my_units_lists_the_users_units_and_role(client, login_verified, manager):
    login_verified(client, manager)
    unit = manager.memberships.get().unit

    response = client.get(reverse("actors:my_units"))

    content = response.content.decode()
    assert unit.name in content
    assert "Chef" in content
