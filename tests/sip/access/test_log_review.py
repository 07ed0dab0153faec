"""The managers' log review (loggkontroll) and a person's access report."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from config.exceptions import ApplicationError
from sip.access import services
from sip.access.models import AccessLogEntry, LogReview, LogReviewItem
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db

JUNE = at(2026, 6, 10, 9)
V = LogReviewItem.Verdict


def entries(n, *, when=JUNE, **fields):
    with time_machine.travel(when, tick=False):
        return [factories.AccessLogEntryFactory(**fields) for _n in range(n)]


def review(unit, manager, *, sample_size=5, **filters):
    with time_machine.travel(at(2026, 7, 1, 9), tick=False):
        return services.log_review_create(
            unit=unit,
            period_start=dt.date(2026, 6, 1),
            period_end=dt.date(2026, 6, 30),
            sample_size=sample_size,
            by=manager,
            **filters,
        )


@pytest.fixture
def protected_person():
    return factories.IndividualFactory(protected_identity=True)


def test_a_review_takes_every_access_to_a_protected_person_and_a_sample_of_the_rest(
    unit, manager, protected_person
):
    ordinary = entries(12, unit=unit)
    protected = entries(3, unit=unit, individual=protected_person)
    entries(2, unit=unit, when=at(2026, 5, 31, 23))  # before the period
    entries(2, unit=unit, when=at(2026, 7, 1, 0, 1))  # after it
    entries(2, individual=protected_person)  # another unit's accesses

    items = review(unit, manager).items.all()

    chosen = {item.entry for item in items}
    assert {item.entry for item in items if item.selection == "skyddad"} == set(protected)
    sample = chosen - set(protected)
    assert len(sample) == 5
    assert sample <= set(ordinary)
    assert all(item.verdict == V.PENDING for item in items)


def test_the_review_can_be_narrowed_to_one_user_and_one_person(unit, manager, coordinator):
    person = factories.IndividualFactory()
    wanted = entries(2, unit=unit, user=coordinator, individual=person)
    entries(3, unit=unit, user=coordinator)
    entries(3, unit=unit, individual=person)

    items = review(unit, manager, sample_size=10, user=coordinator, individual=person).items

    assert {item.entry for item in items.all()} == set(wanted)


def test_only_a_manager_of_the_unit_can_review_it(unit, coordinator, outsider):
    entries(3, unit=unit)
    boss_elsewhere = factories.MembershipFactory(
        unit=outsider.memberships.get().unit, role="manager"
    ).user
    for user in (coordinator, boss_elsewhere):
        with pytest.raises(ApplicationError, match="Bara chefen"):
            review(unit, user)


def test_a_review_of_nothing_is_refused(unit, manager):
    with pytest.raises(ApplicationError, match="inga loggposter"):
        review(unit, manager)


def test_an_unjustified_access_needs_a_comment_and_each_judgement_keeps_history(unit, manager):
    entries(2, unit=unit)
    item = review(unit, manager).items.first()
    with pytest.raises(ApplicationError, match="Beskriv varför"):
        services.log_review_item_mark(item=item, verdict=V.UNJUSTIFIED, comment=" ", by=manager)

    services.log_review_item_mark(item=item, verdict=V.JUSTIFIED, by=manager)
    services.log_review_item_mark(
        item=item, verdict=V.UNJUSTIFIED, comment="Ingen koppling till ärendet.", by=manager
    )

    item.refresh_from_db()
    assert (item.verdict, item.reviewed_by) == (V.UNJUSTIFIED, manager)
    history = list(item.history.order_by("history_date").values_list("verdict", "history_user"))
    assert history == [
        (V.PENDING, manager.pk),
        (V.JUSTIFIED, manager.pk),
        (V.UNJUSTIFIED, manager.pk),
    ]


def test_a_review_is_completed_only_when_every_entry_is_judged_and_is_then_closed(unit, manager):
    entries(2, unit=unit)
    log_review = review(unit, manager)
    first, second = log_review.items.all()
    services.log_review_item_mark(item=first, verdict=V.JUSTIFIED, by=manager)
    with pytest.raises(ApplicationError, match="1 loggposter är inte granskade"):
        services.log_review_complete(review=log_review, by=manager)

    services.log_review_item_mark(item=second, verdict=V.JUSTIFIED, by=manager)
    services.log_review_complete(review=log_review, by=manager)

    log_review.refresh_from_db()
    assert log_review.completed_by == manager
    with pytest.raises(ApplicationError, match="avslutad"):
        services.log_review_item_mark(item=first, verdict=V.UNJUSTIFIED, comment="x", by=manager)


# --- the pages ------------------------------------------------------------------------------------


def test_a_manager_runs_a_review_through_the_pages(client, unit, manager):
    entries(3, unit=unit)
    with time_machine.travel(at(2026, 7, 1, 9), tick=False):
        login_verified(client, manager)
        response = client.post(
            reverse("sip:access:review_list"),
            {
                "unit": unit.pk,
                "period_start": "2026-06-01",
                "period_end": "2026-06-30",
                "sample_size": "10",
            },
        )
        log_review = LogReview.objects.get()
        assert response["Location"] == reverse("sip:access:review_detail", args=[log_review.pk])
        first, *rest = log_review.items.all()
        client.post(
            reverse("sip:access:review_item_mark", args=[log_review.pk, first.pk]),
            {"verdict": "obefogad", "comment": "", "sida": "1"},
        )
        refused = client.get(reverse("sip:access:review_detail", args=[log_review.pk]))
        for item in (first, *rest):
            client.post(
                reverse("sip:access:review_item_mark", args=[log_review.pk, item.pk]),
                {"verdict": "befogad", "sida": "1"},
            )
        client.post(reverse("sip:access:review_complete", args=[log_review.pk]))
    assert "Beskriv varför" in refused.content.decode()
    log_review.refresh_from_db()
    assert log_review.is_completed
    assert not log_review.items.exclude(verdict=V.JUSTIFIED).exists()


def test_a_review_form_with_bad_input_is_refused_in_swedish(client, unit, manager):
    with time_machine.travel(at(2026, 7, 1, 9), tick=False):
        login_verified(client, manager)
        response = client.post(
            reverse("sip:access:review_list"),
            {"unit": unit.pk, "period_start": "2026-06-30", "period_end": "2026-06-01"},
        )
    assert response.status_code == 200
    assert "Detta fält måste fyllas i." in response.content.decode()
    assert not LogReview.objects.exists()


def test_the_log_filters_by_user_person_date_and_protection(
    client, unit, manager, coordinator, protected_person
):
    person = factories.IndividualFactory(first_name="Filtrerad", last_name="Person")
    entries(1, unit=unit, user=coordinator, individual=person, when=at(2026, 6, 2, 9))
    entries(1, unit=unit, individual=person, when=at(2026, 6, 20, 9))
    entries(1, unit=unit, user=coordinator, individual=protected_person, when=at(2026, 6, 3, 9))
    entries(1, when=at(2026, 6, 2, 9))  # another unit's access
    login_verified(client, manager)
    url = reverse("sip:access:log_list")

    def shown(**query):
        return len(client.get(url, query).context["rows"])

    assert shown() == 3
    assert shown(user=coordinator.pk) == 2
    assert shown(person=person.id_number) == 2
    assert shown(date_from="2026-06-10") == 1
    assert shown(date_to="2026-06-02") == 1
    assert shown(protected_only="on") == 1
    page = client.get(url).content.decode()
    assert "Filtrerad Person" in page
    assert protected_person.last_name not in page


@pytest.mark.parametrize("count", [2, 40])
def test_the_log_pages_run_the_same_queries_however_many_entries_there_are(
    client, unit, manager, django_assert_max_num_queries, count
):
    entries(count, unit=unit)
    log_review = review(unit, manager, sample_size=count)
    login_verified(client, manager)
    # Each count includes the one query of django-otp's middleware for the verified device.
    with django_assert_max_num_queries(15):
        assert client.get(reverse("sip:access:log_list")).status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(reverse("sip:access:review_list")).status_code == 200
    with django_assert_max_num_queries(14):
        response = client.get(reverse("sip:access:review_detail", args=[log_review.pk]))
    assert len(response.context["rows"]) == count


# --- a person's access report ---------------------------------------------------------------------


def test_a_person_report_lists_the_accesses_of_the_managers_huvudman_only(
    client, case, unit, manager, coordinator, bup
):
    person = case.individual
    same_huvudman = factories.UnitFactory(huvudman=unit.huvudman, name="Familjebehandlingen")
    entries(1, unit=unit, user=coordinator, individual=person)
    entries(1, unit=same_huvudman, individual=person)
    entries(1, unit=bup, individual=person)  # the region reports its own accesses
    entries(1, unit=unit)  # someone else's data
    login_verified(client, manager)

    response = client.get(reverse("sip:access:person_report", args=[person.pk]))
    csv_text = client.get(reverse("sip:access:person_report_csv", args=[person.pk]))

    assert {entry.unit for entry in response.context["page"]} == {unit, same_huvudman}
    lines = csv_text.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Tidpunkt;Användare;Verksamhet;Ärende;Åtgärd"
    # Two logged beforehand, the report page, and the export itself (logged before it reads).
    assert len(lines) == 1 + 4
    assert (
        AccessLogEntry.objects.filter(
            user=manager, individual=person, action__in=["loggutdrag", "export"]
        ).count()
        == 2
    )


@pytest.mark.parametrize("count", [2, 60])
def test_the_person_report_runs_the_same_queries_however_many_entries_there_are(
    client, case, unit, manager, django_assert_max_num_queries, count
):
    entries(count, unit=unit, individual=case.individual)
    login_verified(client, manager)
    # Including the one query of django-otp's middleware for the verified device.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("sip:access:person_report", args=[case.individual.pk]))
    assert len(response.context["page"]) == min(count + 1, 50)
