import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from actors.models import County, Unit
from agreements.models import Agreement, DeadlineRule
from sip.models import Case, Meeting, Participant
from tests import factories
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A valid personnummer for a child born 14 March 2015 (Luhn check digit 4).
PERSONNUMMER = "20150314-1234"


@pytest.fixture
def world():
    """Uppsala has no seeded agreement, so this one governs; the coordinator works at a school
    and BUP and social services take part. Every id below is listed in docs/coordinator-pages.md."""
    agreement = factories.AgreementFactory(
        name="Överenskommelse om SIP för barn och unga, Uppsala län",
        county=County.UPPSALA,
        target_group=Agreement.TargetGroup.CHILDREN,
        valid_from=dt.date(2020, 1, 1),
    )
    for kind, amount in ((DeadlineRule.Kind.KALLELSE, 5), (DeadlineRule.Kind.MEETING, 10)):
        factories.DeadlineRuleFactory(
            agreement=agreement,
            kind=kind,
            start_event=DeadlineRule.StartEvent.CONSENT_GIVEN,
            amount=amount,
        )
    factories.MunicipalityFactory(code="0380", name="Uppsala", county=County.UPPSALA)
    school = factories.UnitFactory(
        name="Elevhälsan Tallbackens skola", kind=Unit.Kind.STUDENT_HEALTH
    )
    coordinator = factories.MembershipFactory(
        unit=school,
        user__username="skola.samordnare",
        user__first_name="Lena",
        user__last_name="Holm",
    ).user
    bup = factories.UnitFactory(name="BUP Uppsala", kind=Unit.Kind.BUP, email="bup@example.se")
    social = factories.UnitFactory(
        name="Socialtjänst IFO Uppsala", kind=Unit.Kind.SOCIAL_IFO, email="ifo@example.se"
    )
    return {"coordinator": coordinator, "school": school, "bup": bup, "social": social}


def local_input(moment: dt.datetime) -> str:
    """The value a datetime-local field takes, in Stockholm time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def pick_unit(page: Page, unit: Unit) -> None:
    """Find a unit with the live directory search and add it to the consent's scope."""
    page.locator("#sok_q").fill(unit.name)
    page.locator(f"#pick-unit-{unit.pk}").click()
    expect(page.locator("#chosen-units")).to_contain_text(unit.name)


def invite(page: Page, unit: Unit) -> None:
    """Find a unit with the live directory search and invite it, in place."""
    page.locator("#sok_q").fill(unit.name)
    page.locator(f"#unit-results #invite-unit-{unit.pk}").click()
    expect(page.locator("#participant-list")).to_contain_text(unit.name)


def test_a_coordinator_runs_a_case_from_need_to_plan(page: Page, world):
    school, bup, social = world["school"], world["bup"], world["social"]
    login(page, world["coordinator"].username)

    # 1. New case from Mina ärenden: the number is unknown, so the person is registered.
    page.locator("#nav-cases").click()
    page.locator("#new-case").click()
    page.locator("#id_id_number").fill(PERSONNUMMER)
    page.locator("#person-lookup-submit").click()
    page.locator("#person_first_name").fill("Astrid")
    page.locator("#person_last_name").fill("Lindqvist")
    page.locator("#person_gender").select_option(label="Flicka/kvinna")
    page.locator("#person_home_municipality").select_option(label="Uppsala")
    page.locator("#person_guardian_1").fill("Maria Lindqvist")
    page.locator("#person_guardian_1_email").fill("maria.lindqvist@example.se")
    page.locator("#person-register-submit").click()

    # 2. Why a SIP, convened by the school.
    expect(page.locator("#wizard-person")).to_contain_text("Astrid Lindqvist")
    page.locator("#id_convening_unit").select_option(label=school.name)
    page.locator("#id_reason").fill("Hög frånvaro och behov av stöd från skola, BUP och IFO.")
    page.locator("#case-open-submit").click()
    case = Case.objects.get()

    # 3. Consent from the guardian, covering BUP and social services as well as the school.
    page.get_by_label("Maria Lindqvist").check()
    page.locator("#samtycke_given_at").fill(local_input(timezone.now() - dt.timedelta(hours=1)))
    pick_unit(page, bup)
    pick_unit(page, social)
    screenshot(page, "coordinator-consent")
    page.locator("#consent-submit").click()

    # 4. The clocks the consent started.
    expect(page.locator("#started-deadlines")).to_contain_text("arbetsdagar kvar")
    screenshot(page, "coordinator-wizard-done")

    # 5. Invite the two units from the directory.
    page.locator("#go-invite").click()
    invite(page, bup)
    invite(page, social)
    assert set(case.participants.values_list("unit", flat=True)) == {bup.pk, social.pk}

    # 6. Propose a time against the week, book it and send the kallelse at once.
    page.locator("#go-schedule").click()
    page.locator("#id_kind").select_option(label="SIP-möte")
    starts = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    page.locator("#id_starts_at").fill(local_input(starts))
    page.locator("#id_starts_at").dispatch_event("change")
    expect(page.locator("#schedule-week")).to_contain_text("Föreslagen tid")
    page.locator("#id_place").fill("Tallbackens skola, konferensrummet")
    page.locator("#id_send_now").check()
    screenshot(page, "coordinator-schedule-week")
    page.locator("#meeting-submit").click()
    expect(page.get_by_role("status").first).to_contain_text("kallelsen skickad")
    assert {address for message in mail.outbox for address in message.to} >= {
        "bup@example.se",
        "ifo@example.se",
    }
    screenshot(page, "coordinator-case-convened")

    # 7. The meeting takes place. The server's clock cannot be moved from here, so the meeting
    # is moved into the past instead, as if the two days had gone by.
    meeting = Meeting.objects.get(case=case)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    page.locator(f"#meeting-{meeting.pk}-held").click()
    for participant in Participant.objects.filter(case=case):
        page.locator(f"input[name=attended][value='{participant.pk}']").check()
    page.locator("#id_notes").fill("Alla berörda deltog. Plan upprättas.")
    page.locator("#form-submit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Möte hållet")

    # 8. The plan, with BUP's psychologist as huvudansvarig and one intervention.
    page.locator("#go-plan").click()
    page.locator("#id_needs").fill("Stöd för att komma tillbaka till skolan.")
    page.locator("#id_lead_name").fill("Per Ek, psykolog")
    page.locator("#id_lead_unit").select_option(label=bup.name)
    page.locator("#id_coordinator_name").fill("Lena Holm")
    page.locator("#id_coordinator_unit").select_option(label=school.name)
    # A school coordinator needs a plan owner from social services or health care.
    page.locator("#id_plan_owner_name").fill("Sara Öberg")
    page.locator("#id_plan_owner_unit").select_option(label=social.name)
    page.locator("#add-insats").click()
    row = page.locator(".plan-row").first
    row.locator("input[name$=-description]").fill("Samtalsstöd varannan vecka")
    row.locator("select[name$=-unit]").select_option(label=bup.name)
    row.locator("input[name$=-performer]").fill("Per Ek")
    row.locator("input[name$=-scope]").fill("45 minuter varannan vecka")
    row.locator("input[name$=-starts_on]").fill(timezone.localdate().isoformat())
    row.locator("input[name$=-follow_up]").fill("Vid uppföljningsmötet")
    row.get_by_role("button", name="Klar").click()
    expect(page.locator(".plan-row").first).to_contain_text("Samtalsstöd varannan vecka")
    page.locator("#plan-submit").click()

    expect(page.get_by_role("status").first).to_contain_text("Plan version 1 är sparad")
    expect(page.get_by_text("Huvudansvarig: Per Ek, psykolog, BUP Uppsala")).to_be_visible()
    case.refresh_from_db()
    assert case.status == Case.Status.PLAN
    assert case.plans.get().interventions.get().description == "Samtalsstöd varannan vecka"
    screenshot(page, "coordinator-case-plan")

    # 9. The meeting in the week calendar, and the case in Mina ärenden.
    page.locator("#nav-calendar").click()
    expect(page.get_by_text(case.reference).first).to_be_visible()
    screenshot(page, "coordinator-calendar")
    page.locator("#nav-cases").click()
    expect(page.locator("#case-table")).to_contain_text("Astrid Lindqvist")
    screenshot(page, "coordinator-worklist")
