"""The access log: one entry for every read of a person's or a case's data, never changed."""

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from sip.access.models import AccessLogEntry, AccessLogImmutableError
from tests import factories
from tests.helpers import login_verified
from tests.sip.access.test_authorization_matrix import (
    KWARGS,
    MATRIX,
    project_urls,
    request_as,
    url_for,
)
from tests.sip.access.world import NOW, ROLES

pytestmark = pytest.mark.django_db

# URLs whose objects are a case or a person, or a placement or a deviation report about them:
# every answer with content is a read to log.
READS = sorted(
    name
    for name, row in MATRIX.items()
    if {row.kwargs.get(key, KWARGS.get(key)) for key in project_urls()[name]}
    & {"case", "individual", "placement", "report"}
)


def test_every_page_document_and_export_of_a_case_or_person_writes_exactly_one_entry(client, world):
    counted = []
    for name in READS:
        row = MATRIX[name]
        for role, expected in zip(ROLES, row.own, strict=True):
            if expected != 200:
                continue
            before = AccessLogEntry.objects.count()
            with time_machine.travel(NOW, tick=False):
                login_verified(client, world.users[role])
                response = getattr(client, row.method.lower())(url_for(name, row, world))
            assert response.status_code == 200, name
            assert AccessLogEntry.objects.count() - before == 1, f"{name} as {role}"
            counted.append(name)
            break
    # The case page, both PDFs, the .ics, the person's page and report and the CSV export, the
    # coordinator's pages and their htmx parts, placements and deviation reports.
    assert {
        "sip:case_detail",
        "sip:plan_pdf",
        "sip:kallelse_pdf",
        "sip:meeting_ics",
        "sip:individual_detail",
        "sip:access:person_report",
        "sip:access:person_report_csv",
        "sip:case_new_details",
        "sip:case_new_consent",
        "sip:case_new_done",
        "sip:case_invite",
        "sip:case_unit_search",
        "sip:meeting_create",
        "sip:meeting_schedule_week",
        "sip:plan_edit",
        "sip:plan_row",
        "sip:placement_create",
        "sip:placement_detail",
        "sip:cost_split_create",
        "sip:deviation_create_for_case",
        "sip:deviation_case_timeline",
        "sip:deviation_detail",
    } <= set(counted)


def test_a_refused_request_writes_no_entry(client, world, foreign):
    before = AccessLogEntry.objects.count()
    for name in READS:
        row = MATRIX[name]
        request_as(client, world.users["outsider"], row.method, url_for(name, row, world))
        request_as(client, world.users["convener"], row.method, url_for(name, row, foreign))
    assert AccessLogEntry.objects.count() == before


def test_an_entry_records_who_for_which_unit_what_when_and_from_where(client, world):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, world.users["participant"])
        client.get(reverse("sip:plan_pdf", args=[world.case.pk]), REMOTE_ADDR="10.1.2.3")
    entry = AccessLogEntry.objects.first()
    assert entry.user == world.users["participant"]
    assert entry.unit == world.participating_unit
    assert (entry.individual, entry.case) == (world.individual, world.case)
    assert entry.action == AccessLogEntry.Action.PDF
    assert entry.at == NOW
    assert entry.ip_address == "10.1.2.3"
    assert entry.path == reverse("sip:plan_pdf", args=[world.case.pk])
    assert not entry.protected


def test_a_member_of_several_units_acts_for_the_convening_one(client, world):
    both = world.users["participant"]
    factories.MembershipFactory(user=both, unit=world.convening_unit)
    with time_machine.travel(NOW, tick=False):
        login_verified(client, both)
        client.get(reverse("sip:case_detail", args=[world.case.pk]))
    assert AccessLogEntry.objects.first().unit == world.convening_unit


def test_the_case_list_writes_one_entry_per_case_shown(client, world):
    factories.CaseFactory(convening_unit=world.convening_unit)
    before = AccessLogEntry.objects.count()
    with time_machine.travel(NOW, tick=False):
        login_verified(client, world.users["convener"])
        client.get(reverse("sip:case_list"))
    entries = AccessLogEntry.objects.order_by("pk")[before:]
    assert [entry.action for entry in entries] == [AccessLogEntry.Action.LIST] * 2
    assert {entry.unit for entry in entries} == {world.convening_unit}


# --- entries cannot be changed or deleted ---------------------------------------------------------


@pytest.fixture
def entry(world):
    return AccessLogEntry.objects.create(
        user=world.users["convener"],
        unit=world.convening_unit,
        individual=world.individual,
        case=world.case,
        action=AccessLogEntry.Action.VIEW,
    )


def test_the_model_refuses_to_change_or_delete_an_entry(entry):
    entry.action = AccessLogEntry.Action.EXPORT
    with pytest.raises(AccessLogImmutableError):
        entry.save()
    with pytest.raises(AccessLogImmutableError):
        entry.delete()
    with pytest.raises(AccessLogImmutableError):
        AccessLogEntry.objects.filter(pk=entry.pk).update(action="export")
    with pytest.raises(AccessLogImmutableError):
        AccessLogEntry.objects.filter(pk=entry.pk).delete()
    assert AccessLogEntry.objects.get(pk=entry.pk).action == AccessLogEntry.Action.VIEW


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE sip_accesslogentry SET action = 'export' WHERE id = %s",
        "DELETE FROM sip_accesslogentry WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(entry, sql):
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    assert AccessLogEntry.objects.get(pk=entry.pk).action == AccessLogEntry.Action.VIEW


def test_the_admin_shows_entries_read_only_and_without_names(client, admin_user, entry):
    login_verified(client, admin_user)
    change = client.get(reverse("admin:sip_accesslogentry_change", args=[entry.pk]))
    delete = client.post(
        reverse("admin:sip_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    listing = client.get(reverse("admin:sip_accesslogentry_changelist"))

    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert delete.status_code == 403
    assert entry.individual.last_name not in listing.content.decode()
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
    model_admin = site._registry[AccessLogEntry]
    assert not model_admin.has_add_permission(None)


def test_the_admin_offers_no_case_content(admin_user, client):
    login_verified(client, admin_user)
    index = client.get(reverse("admin:index")).content.decode()
    assert "/admin/sip/accesslogentry/" in index
    for model in (
        "case",
        "individual",
        "consent",
        "meeting",
        "participant",
        "plan",
        "placement",
        "costsplit",
        "deviationreport",
        "deviationentry",
    ):
        assert f"/admin/sip/{model}/" not in index
