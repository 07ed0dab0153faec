import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from actors.models import Membership, Unit
from deadlines.models import Deadline
from tests import factories
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_sees_a_breached_deadline_on_the_overdue_page(page: Page):
    # The live server runs in another thread, so the clock cannot be pinned: the deadline is
    # simply due in the past and already marked breached, as the sweep would have left it.
    unit = factories.UnitFactory(name="Socialtjänst IFO Luleå", kind=Unit.Kind.SOCIAL_IFO)
    manager = factories.MembershipFactory(
        unit=unit,
        role=Membership.Role.MANAGER,
        user__username="chef.ifo",
        user__first_name="Karin",
        user__last_name="Nilsson",
    ).user
    coordinator = factories.MembershipFactory(
        unit=unit, user__first_name="Anna", user__last_name="Berg"
    ).user
    rule = factories.DeadlineRuleFactory(agreement__name="Norrbus")
    case = factories.CaseFactory(
        convening_unit=unit,
        coordinator=coordinator,
        agreement=rule.agreement,
        individual__first_name="Astrid",
        individual__last_name="Lindqvist",
    )
    now = timezone.now()
    factories.DeadlineFactory(
        rule=rule,
        subject=case,
        responsible_unit=unit,
        responsible_user=coordinator,
        status=Deadline.Status.BREACHED,
        started_at=now - dt.timedelta(days=14),
        due_at=now - dt.timedelta(days=7),
        breached_at=now - dt.timedelta(days=7) + dt.timedelta(minutes=5),
        escalation_level=1,
    )
    factories.DeadlineFactory(
        rule=factories.DeadlineRuleFactory(agreement=rule.agreement, kind="sip_mote"),
        subject=case,
        responsible_unit=unit,
        responsible_user=coordinator,
        started_at=now - dt.timedelta(days=9),
        due_at=now + dt.timedelta(hours=2),
    )

    login(page, manager.username)
    page.get_by_role("link", name="Försenade frister").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Försenade frister")
    expect(page.get_by_test_id("count-overdue")).to_have_text("1")
    expect(page.get_by_test_id("count-at-risk")).to_have_text("1")
    expect(page.get_by_role("img", name="Överskridna frister per vecka")).to_be_visible()
    overdue_row = page.get_by_role("row").filter(has_text="Överskriden")
    expect(overdue_row).to_contain_text("Anna Berg")
    expect(overdue_row.get_by_role("link", name=case.reference)).to_be_visible()
    screenshot(page, "manager-overdue")

    page.get_by_label("Läge").select_option(label="Överskriden")
    page.get_by_role("button", name="Filtrera").click()
    expect(page.get_by_test_id("count-at-risk")).to_have_text("0")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Exportera CSV").click()
    exported = download_info.value.path().read_text(encoding="utf-8-sig")
    assert exported.count("\n") == 2
    assert "Socialtjänst IFO Luleå;Kallelse till SIP-möte;Överskriden" in exported

    overdue_row.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
