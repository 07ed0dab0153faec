import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from actors.models import SteeringGroup
from agreements.models import Agreement, DeadlineRule
from deadlines.selectors import deadline_list_for_subject
from deadlines.services import deadline_sweep
from sip.deviations import services
from sip.deviations.models import DeviationReport
from sip.models import Invitation
from tests import factories
from tests.helpers import login_verified
from tests.sip.conftest import at
from tests.sip.deviations.conftest import FILED, file_report

pytestmark = pytest.mark.django_db

Status = DeviationReport.Status
LATER = at(2026, 9, 10, 9)


def get(client, user, url, *, when=LATER, **params):
    login_verified(client, user)
    with time_machine.travel(when, tick=False):
        return client.get(url, params)


def post(client, user, url, data=None, *, when=LATER):
    login_verified(client, user)
    with time_machine.travel(when, tick=False):
        return client.post(url, data or {})


def step_url(report, step):
    return reverse("sip:deviation_step", args=[report.pk, step])


# --- access -------------------------------------------------------------------------------------


def test_the_reporter_their_colleague_and_the_concerned_manager_open_a_report_and_others_get_404(
    client, report, coordinator, colleague, bup_manager, outsider
):
    url = reverse("sip:deviation_detail", args=[report.pk])
    for user in (coordinator, colleague, bup_manager):
        assert get(client, user, url).status_code == 200
    assert get(client, outsider, url).status_code == 404
    response = post(client, outsider, step_url(report, "kommentera"), {"text": "Hej."})
    assert response.status_code == 404
    assert report.entries.count() == 1


def test_the_report_form_is_reached_from_a_case_a_meeting_and_a_deadline(
    client, convened, coordinator, outsider
):
    case = convened.case
    deadline = case_deadline(case, DeadlineRule.Kind.MEETING)
    urls = {
        "case": reverse("sip:deviation_create_for_case", args=[case.pk]),
        "meeting": reverse("sip:deviation_create_for_meeting", args=[case.pk, convened.pk]),
        "deadline": reverse("sip:deviation_create_for_deadline", args=[case.pk, deadline.pk]),
    }
    page = get(client, coordinator, reverse("sip:case_detail", args=[case.pk])).content.decode()
    assert all(url in page for url in urls.values())
    meeting_form = get(client, coordinator, urls["meeting"]).content.decode()
    assert 'value="utebliven_narvaro" selected' in meeting_form
    assert 'value="2026-06-23T13:00"' in meeting_form
    for url in urls.values():
        assert get(client, outsider, url).status_code == 404


def case_deadline(case, kind):
    return deadline_list_for_subject(subject=case).get(kind=kind)


def test_filing_from_a_deadline_stores_the_case_and_the_deadline(
    client, consented, coordinator, unit, bup
):
    deadline = case_deadline(consented, DeadlineRule.Kind.MEETING)
    url = reverse("sip:deviation_create_for_deadline", args=[consented.pk, deadline.pk])
    response = post(
        client,
        coordinator,
        url,
        {
            "reporting_unit": unit.pk,
            "concerned_units": [bup.pk],
            "category": DeviationReport.Category.MISSED_DEADLINE,
            "occurred_at": "2026-06-30T08:00",
            "description": "BUP kunde inte delta inom fristen.",
        },
    )
    report = DeviationReport.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("sip:deviation_detail", args=[report.pk])
    assert (report.case, report.deadline, report.agreement) == (
        consented,
        deadline,
        consented.agreement,
    )
    assert list(report.concerned_units.all()) == [bup]


def test_bad_input_is_refused_in_swedish_at_the_form_and_nothing_is_written(
    client, consented, coordinator, unit, bup
):
    url = reverse("sip:deviation_create_for_case", args=[consented.pk])
    response = post(
        client,
        coordinator,
        url,
        {
            "reporting_unit": unit.pk,
            "concerned_units": [bup.pk],
            "category": "okand",
            "occurred_at": "2026-12-24T10:00",
            "description": "",
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "Tidpunkten kan inte ligga i framtiden." in content
    assert "Detta fält måste fyllas i." in content
    assert not DeviationReport.objects.exists()


def test_a_second_report_on_a_reported_deadline_is_refused_at_the_form(
    client, consented, coordinator, unit, bup, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(2026, 6, 23, 0, 5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deadline_sweep(send_email=False)
    draft = DeviationReport.objects.get()
    url = reverse("sip:deviation_create_for_deadline", args=[consented.pk, draft.deadline_id])
    response = post(
        client,
        coordinator,
        url,
        {
            "reporting_unit": unit.pk,
            "concerned_units": [bup.pk],
            "category": DeviationReport.Category.MISSED_DEADLINE,
            "occurred_at": "2026-06-23T08:00",
            "description": "Kallelsen dröjde.",
        },
    )
    assert draft.reference in response.content.decode()
    assert DeviationReport.objects.count() == 1


def test_recording_a_meeting_with_a_notice_of_absence_drafts_only_the_unexcused(
    client, convened, coordinator, school, bup
):
    case = convened.case
    url = reverse("sip:meeting_held", args=[case.pk, convened.pk])
    response = post(
        client,
        coordinator,
        url,
        {"excused": [case.participants.get(unit=bup).pk], "notes": ""},
        when=at(2026, 6, 23, 15),
    )
    assert response.status_code == 302
    assert Invitation.objects.get(participant__unit=bup).excused
    draft = DeviationReport.objects.get()
    assert list(draft.concerned_units.all()) == [school]


# --- the workflow through the pages ---------------------------------------------------------------


def test_the_whole_workflow_runs_through_the_page_and_the_history_names_each_user(
    client, report, coordinator, bup_manager
):
    detail = reverse("sip:deviation_detail", args=[report.pk])
    assert step_url(report, "mottagen") in get(client, bup_manager, detail).content.decode()
    assert step_url(report, "mottagen") not in get(client, coordinator, detail).content.decode()
    steps = [
        (bup_manager, "mottagen", {"text": ""}),
        (bup_manager, "utred", {"text": "Vi utreder."}),
        (bup_manager, "besvara", {"answer": "Brevet fastnade.", "measures": "Ny rutin."}),
        (coordinator, "kommentera", {"text": "Tack för svaret."}),
        (coordinator, "avsluta", {"text": ""}),
    ]
    for user, step, data in steps:
        response = post(client, user, step_url(report, step), data)
        assert response.status_code == 302, step
    report.refresh_from_db()
    assert report.status == Status.CLOSED
    content = get(client, coordinator, detail).content.decode()
    for user in (coordinator, bup_manager):
        assert str(user) in content
    assert "Brevet fastnade." in content and "Ny rutin." in content
    assert not any(step_url(report, step) in content for step in STEP_DATA)


def test_a_draft_page_proposes_its_text_and_the_coordinator_confirms_it(
    client, consented, coordinator, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(at(2026, 6, 23, 0, 5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deadline_sweep(send_email=False)
    draft = DeviationReport.objects.get()
    url = reverse("sip:deviation_detail", args=[draft.pk])
    content = get(client, coordinator, url, when=at(2026, 6, 23, 9)).content.decode()
    assert "Fristen ”Kallelse till SIP-möte” förföll 2026-06-22 23:59" in content
    assert step_url(draft, "avfarda") in content
    response = post(
        client,
        coordinator,
        step_url(draft, "bekrafta"),
        {"description": "Kallelsen gick ut två dagar sent."},
        when=at(2026, 6, 23, 9),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.reported_by) == (Status.REGISTERED, coordinator)
    assert draft.description == "Kallelsen gick ut två dagar sent."


def test_a_missing_answer_is_refused_at_the_step_form(client, report, bup_manager):
    post(client, bup_manager, step_url(report, "mottagen"))
    post(client, bup_manager, step_url(report, "utred"))
    response = post(client, bup_manager, step_url(report, "besvara"), {"answer": "Svar."})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Detta fält måste fyllas i." in content
    assert '<details class="mb-2" open>' in content
    report.refresh_from_db()
    assert report.status == Status.INVESTIGATING


@pytest.fixture
def closed(report, coordinator, bup_manager):
    with time_machine.travel(FILED + dt.timedelta(days=1), tick=False):
        services.report_receive(report=report, by=bup_manager)
        services.report_investigate(report=report, by=bup_manager)
        services.report_answer(report=report, by=bup_manager, answer="Svar.", measures="Åtgärd.")
        return services.report_close(report=report, by=coordinator)


STEP_DATA = {
    "bekrafta": {"description": "Ny text."},
    "avfarda": {"reason": "Fel."},
    "mottagen": {},
    "utred": {},
    "besvara": {"answer": "Nytt svar.", "measures": "Nya åtgärder."},
    "eskalera": {"reason": "Lyft."},
    "avsluta": {},
    "kommentera": {"text": "Ett tillägg."},
}


def test_no_view_edits_or_deletes_a_closed_report(client, closed, coordinator, bup_manager):
    before = (closed.description, closed.entries.count(), closed.history.count())
    for user in (coordinator, bup_manager):
        for step, data in STEP_DATA.items():
            login_verified(client, user)
            with time_machine.travel(LATER, tick=False):
                page = client.post(step_url(closed, step), data, follow=True)
            assert page.redirect_chain[0][1] == 302, step
            assert "avslutad och kan inte ändras" in page.content.decode(), (user, step)
        for verb in ("andra", "ta-bort", "redigera"):
            assert (
                post(client, user, step_url(closed, verb), {"description": "x"}).status_code == 404
            )
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert (closed.description, closed.entries.count(), closed.history.count()) == before


# --- the steering group's view --------------------------------------------------------------------


@pytest.fixture
def escalated(coordinator, unit, bup, bup_manager, consented):
    """A Västmanland children's report on the case, lifted to the BUS group covering BUP."""
    consented.agreement = Agreement.objects.get(code="vastmanland-barn-och-unga", version=1)
    consented.save()
    report = file_report(
        by=coordinator,
        unit=unit,
        concerned=[bup],
        case=consented,
        description=(
            "Astrid Lindqvist (20150314-1237) fick ingen tid hos BUP; "
            "mamman Maria Lindqvist ringde tre gånger."
        ),
    )
    with time_machine.travel(FILED + dt.timedelta(hours=1), tick=False):
        return services.report_escalate(report=report, by=bup_manager, reason="Principiell fråga.")


@pytest.fixture
def bus_member(bup):
    group = factories.SteeringGroupFactory(kind=SteeringGroup.Kind.BUS)
    group.units.add(bup)
    member = factories.UserFactory()
    group.members.add(member)
    return member


def test_the_steering_group_sees_escalated_reports_without_the_persons_name_or_number(
    client, escalated, bus_member, coordinator
):
    other_group = factories.SteeringGroupFactory(kind=SteeringGroup.Kind.BUS)
    stranger = factories.UserFactory()
    other_group.members.add(stranger)
    other_group.units.add(factories.UnitFactory())

    listing = get(client, bus_member, reverse("sip:deviation_steering")).content.decode()
    assert escalated.reference in listing
    assert (
        escalated.reference
        not in get(client, stranger, reverse("sip:deviation_steering")).content.decode()
    )

    detail_url = reverse("sip:deviation_detail", args=[escalated.pk])
    detail = get(client, bus_member, detail_url).content.decode()
    for personal in ("Astrid", "Lindqvist", "20150314-1237", escalated.case.reference):
        assert personal not in listing
        assert personal not in detail
    assert "[personnummer]" in detail and "BUP" in detail
    assert get(client, stranger, detail_url).status_code == 404
    # The reporting side still sees what it wrote.
    assert "20150314-1237" in get(client, coordinator, detail_url).content.decode()


def test_the_steering_group_member_takes_the_steps_at_its_level(client, escalated, bus_member):
    response = post(client, bus_member, step_url(escalated, "mottagen"), {"text": ""})
    assert response.status_code == 302
    escalated.refresh_from_db()
    assert escalated.status == Status.RECEIVED
    assert escalated.entries.last().by == bus_member


# --- lists and their query counts -----------------------------------------------------------------


def make_reports(n, *, agreement, concerned, reporting_unit, **extra):
    for _ in range(n):
        report = factories.DeviationReportFactory(
            agreement=agreement,
            reporting_unit=reporting_unit,
            concerned_units=[concerned],
            **extra,
        )
        factories.DeviationEntryFactory(report=report)


def test_the_inbox_filters_paginates_and_keeps_a_fixed_query_count(
    client, bup, bup_manager, unit, agreement, django_assert_max_num_queries
):
    url = reverse("sip:deviation_inbox")
    make_reports(2, agreement=agreement, concerned=bup, reporting_unit=unit)
    login_verified(client, bup_manager)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    make_reports(
        60,
        agreement=agreement,
        concerned=bup,
        reporting_unit=unit,
        status=Status.RECEIVED,
        category=DeviationReport.Category.COST_DISPUTE,
    )
    with django_assert_max_num_queries(14):
        content = client.get(url, {"status": Status.RECEIVED, "sida": 2}).content.decode()
    assert "Sida 2 av 2" in content
    assert "status=mottagen&amp;sida=1" in content
    filtered = client.get(url, {"category": DeviationReport.Category.MISSED_DEADLINE})
    assert filtered.context["page"].paginator.count == 2


def test_the_report_page_keeps_a_fixed_query_count(
    client, report, bup_manager, django_assert_max_num_queries
):
    url = reverse("sip:deviation_detail", args=[report.pk])
    login_verified(client, bup_manager)
    # Two of them read the report's case and log that read (the page shows its person's text).
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200
    factories.DeviationEntryFactory.create_batch(40, report=report)
    with django_assert_max_num_queries(22):
        assert client.get(url).status_code == 200


def test_the_steering_view_keeps_a_fixed_query_count(
    client, escalated, bus_member, bup, unit, django_assert_max_num_queries
):
    url = reverse("sip:deviation_steering")
    login_verified(client, bus_member)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    make_reports(
        30,
        agreement=escalated.agreement,
        concerned=bup,
        reporting_unit=unit,
        level=escalated.level,
        status=Status.ESCALATED,
    )
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.context["page"].paginator.count == 31


def test_the_case_timeline_merges_the_case_reports_in_time_order(
    client, report, consented, coordinator, bup, unit, outsider, django_assert_max_num_queries
):
    second = file_report(
        by=coordinator,
        unit=unit,
        concerned=[bup],
        case=consented,
        category=DeviationReport.Category.PLAN_NOT_FOLLOWED,
        description="Insatsen startade inte.",
    )
    with time_machine.travel(FILED + dt.timedelta(hours=2), tick=False):
        services.report_comment(report=report, by=coordinator, text="Påminnelse skickad.")
    url = reverse("sip:deviation_case_timeline", args=[consented.pk])
    login_verified(client, coordinator)
    # Including the access-log entry for reading the case.
    with django_assert_max_num_queries(13):
        content = client.get(url).content.decode()
    assert content.index(report.reference) < content.index(second.reference)
    assert "Påminnelse skickad." in content
    factories.DeviationEntryFactory.create_batch(30, report=second)
    with django_assert_max_num_queries(13):
        assert client.get(url).status_code == 200
    assert get(client, outsider, url).status_code == 404


def test_the_csv_export_carries_no_identity_numbers_or_names(
    client, escalated, coordinator, bup, unit, django_assert_max_num_queries
):
    url = reverse("sip:deviation_export")
    login_verified(client, coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(url)
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0][0] == "Referens"
    assert rows[1][0] == escalated.reference
    assert "20150314" not in body and "Lindqvist" not in body and "Astrid" not in body
    assert "[personnummer]" in rows[1][-1]
    make_reports(
        30,
        agreement=escalated.agreement,
        concerned=bup,
        reporting_unit=unit,
        description="=HYPERLINK(1)",
    )
    with django_assert_max_num_queries(12):
        body = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows) == 32
    assert all(row[-1].startswith("'=") for row in rows[1:] if "HYPERLINK" in row[-1])


# --- the yearly indicator ----------------------------------------------------------------------


def test_the_yearly_count_is_per_agreement_and_category_and_leaves_out_drafts(
    client, bup, unit, bup_manager, coordinator, django_assert_max_num_queries
):
    norrbus = Agreement.objects.get(code="norrbus", version=1)
    common = {"agreement": norrbus, "concerned": bup, "reporting_unit": unit}
    make_reports(3, registered_at=at(2025, 6, 1, 12), **common)
    make_reports(
        2,
        registered_at=at(2025, 12, 31, 23, 30),
        category=DeviationReport.Category.COST_DISPUTE,
        **common,
    )
    make_reports(1, registered_at=at(2026, 1, 1, 0, 30), **common)
    make_reports(4, status=Status.DRAFT, description="", registered_at=None, **common)
    url = reverse("sip:deviation_yearly")
    login_verified(client, bup_manager)
    with django_assert_max_num_queries(14):
        response = client.get(url, {"year": 2025})
    row = next(r for r in response.context["page"] if r.code == "norrbus")
    categories = list(DeviationReport.Category.values)
    assert row.counts[categories.index(DeviationReport.Category.MISSED_DEADLINE)] == 3
    assert row.counts[categories.index(DeviationReport.Category.COST_DISPUTE)] == 2
    assert row.total == 5
    assert len(response.context["page"]) == Agreement.objects.values("code").distinct().count()
    with django_assert_max_num_queries(14):
        later = client.get(url, {"year": 2026})
    assert next(r for r in later.context["page"] if r.code == "norrbus").total == 1
    assert get(client, coordinator, url).status_code == 403


def test_the_navigation_links_to_the_deviations(client, coordinator, bus_member):
    home = get(client, coordinator, reverse("home")).content.decode()
    assert f'href="{reverse("sip:deviation_inbox")}"' in home
    steering_home = get(client, bus_member, reverse("home")).content.decode()
    assert f'href="{reverse("sip:deviation_steering")}"' in steering_home
    assert f'href="{reverse("sip:deviation_inbox")}"' not in steering_home


def test_an_inbox_row_shows_each_cell_as_the_template_did(
    client, coordinator, unit, bup, bup_manager, agreement
):
    """report_rows formats the cells in Python: labels, link, level dash, units by name, date."""
    school = factories.UnitFactory(name="Alba skola")
    report = file_report(by=coordinator, unit=unit, concerned=[bup, school], agreement=agreement)
    content = get(client, bup_manager, reverse("sip:deviation_inbox")).content.decode()
    url = reverse("sip:deviation_detail", args=[report.pk])
    assert f'<td><a href="{url}">{report.reference}</a></td>' in content
    assert f"<td>{report.get_category_display()}</td>" in content
    assert f"<td>{report.get_status_display()}</td>" in content
    assert "<td>–</td>" in content  # no level yet
    assert f"<td>{report.agreement.name}</td>" in content
    assert f"<td>{unit.name}</td>" in content
    assert "<td>Alba skola, BUP Uppsala</td>" in content
    assert "<td>2026-08-31</td>" in content
