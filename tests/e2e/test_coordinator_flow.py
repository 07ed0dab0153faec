import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from actors.models import County, Unit
from agreements.models import Agreement, DeadlineRule
from sip.models import Case, Meeting
from tests import factories
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A valid personnummer for a child born 14 March 2015 (Luhn check digit 4).
PERSONNUMMER = "20150314-1234"


@pytest.fixture
def world():
    """Uppsala has no seeded agreement, so this one governs; the coordinator works at a school
    and BUP and social services take part."""
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


def test_a_coordinator_runs_a_case_from_need_to_plan(page: Page, world):
    school, bup, social = world["school"], world["bup"], world["social"]
    login(page, world["coordinator"].username)

    # 1. Register the child and open the case.
    page.get_by_role("link", name="SIP-ärenden").click()
    page.get_by_role("link", name="Registrera person").click()
    page.get_by_label("Typ av identitet").select_option(label="Personnummer")
    page.get_by_label("Personnummer/samordningsnummer").fill(PERSONNUMMER)
    page.get_by_label("Förnamn").fill("Astrid")
    page.get_by_label("Efternamn").fill("Lindqvist")
    page.get_by_label("Kön (för statistik)").select_option(label="Flicka/kvinna")
    page.get_by_label("Hemkommun").select_option(label="Uppsala")
    page.get_by_label("Vårdnadshavare 1").fill("Maria Lindqvist")
    page.get_by_role("button", name="Registrera", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Astrid Lindqvist")

    page.get_by_label("Kallande verksamhet").select_option(label=school.name)
    page.get_by_label("Anledning").fill("Hög frånvaro och behov av stöd från skola, BUP och IFO.")
    page.get_by_role("button", name="Öppna ärende").click()
    case = Case.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)

    # 2. Consent from the guardian, covering the three units.
    page.get_by_role("link", name="Registrera samtycke").click()
    page.get_by_label("Samtycke lämnat").fill(local_input(timezone.now() - dt.timedelta(hours=1)))
    page.get_by_label("Maria Lindqvist").check()
    page.get_by_label("Verksamheter som samtycket omfattar").select_option(
        label=[school.name, bup.name, social.name]
    )
    screenshot(page, "coordinator-consent")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("status")).to_contain_text("Samtycket är registrerat")

    # 3. Invite two units.
    for unit in (bup, social):
        page.get_by_role("link", name="Lägg till deltagare").click()
        page.get_by_label("Verksamhet i katalogen").select_option(label=unit.name)
        page.get_by_role("button", name="Spara").click()
        expect(page.get_by_role("listitem").filter(has_text=unit.name).first).to_be_visible()

    # 4. Schedule the meeting, then send the kallelse from the case page.
    page.get_by_role("link", name="Planera möte").click()
    page.get_by_label("Typ av möte").select_option(label="SIP-möte")
    starts = (timezone.localtime() + dt.timedelta(days=2)).replace(hour=10, minute=0)
    page.get_by_label("Starttid").fill(local_input(starts))
    page.get_by_label("Plats").fill("Tallbackens skola, konferensrummet")
    page.get_by_label("Skicka kallelsen direkt").uncheck()
    page.get_by_role("button", name="Spara").click()
    page.get_by_role("button", name="Skicka kallelse").click()
    expect(page.get_by_role("status")).to_contain_text("Kallelsen är skickad")
    assert {address for message in mail.outbox for address in message.to} >= {
        "bup@example.se",
        "ifo@example.se",
    }
    screenshot(page, "coordinator-case-convened")

    # 5. The meeting takes place. The server's clock cannot be moved from here, so the meeting
    # is moved into the past instead, as if the two days had gone by.
    Meeting.objects.filter(case=case).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    page.get_by_role("link", name="Registrera som hållet").click()
    page.get_by_label(bup.name).check()
    page.get_by_label(social.name).check()
    page.get_by_label("Anteckningar").fill("Alla berörda deltog. Plan upprättas.")
    page.get_by_role("button", name="Spara").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Möte hållet")

    # 6. The plan, with BUP's psychologist as huvudansvarig and one intervention.
    page.get_by_role("link", name="Skriv plan").click()
    page.get_by_label("Behov", exact=True).fill("Stöd för att komma tillbaka till skolan.")
    page.get_by_label("Huvudansvarig", exact=True).fill("Per Ek, psykolog")
    page.get_by_label("Huvudansvarigs verksamhet").select_option(label=bup.name)
    page.get_by_label("Samordnare", exact=True).fill("Lena Holm")
    page.get_by_label("Samordnarens verksamhet").select_option(label=school.name)
    # A school coordinator needs a plan owner from social services or health care.
    page.get_by_label("Planansvarig", exact=True).fill("Sara Öberg")
    page.get_by_label("Planansvarigs verksamhet").select_option(label=social.name)
    first_intervention = page.locator("fieldset").first
    first_intervention.get_by_label("Insats", exact=True).fill("Samtalsstöd varannan vecka")
    first_intervention.get_by_label("Ansvarig verksamhet").select_option(label=bup.name)
    first_intervention.get_by_label("Utförare").fill("Per Ek")
    first_intervention.get_by_label("Omfattning").fill("45 minuter varannan vecka")
    first_intervention.get_by_label("Start", exact=True).fill(timezone.localdate().isoformat())
    first_intervention.get_by_label("Hur följs insatsen upp").fill("Vid uppföljningsmötet")
    page.get_by_role("button", name="Spara ny version").click()

    expect(page.get_by_role("status")).to_contain_text("Plan version 1 är sparad")
    expect(page.get_by_text("Huvudansvarig: Per Ek, psykolog, BUP Uppsala")).to_be_visible()
    case.refresh_from_db()
    assert case.status == Case.Status.PLAN
    screenshot(page, "coordinator-case-plan")
