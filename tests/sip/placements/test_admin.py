import pytest
from django.urls import reverse

from sip.placements.models import CostSplit
from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def test_the_placement_admin_pages_open_and_the_cost_split_is_read_only(client, admin_user):
    placement = factories.PlacementFactory()
    split = CostSplit.objects.create(
        placement=placement,
        description="Placering",
        basis=CostSplit.Basis.PERCENT,
        ordered_by=placement.responsible_unit.huvudman,
        proposed_by=placement.coordinator,
        proposed_at=placement.created_at,
    )
    login_verified(client, admin_user)
    for url in (
        reverse("admin:sip_placement_changelist"),
        reverse("admin:sip_placement_change", args=[placement.pk]),
        reverse("admin:sip_costsplit_changelist"),
        reverse("admin:sip_costsplit_change", args=[split.pk]),
    ):
        assert client.get(url).status_code == 200, url
    response = client.post(
        reverse("admin:sip_costsplit_change", args=[split.pk]), {"description": "Ändrad"}
    )
    assert response.status_code == 403
    split.refresh_from_db()
    assert split.description == "Placering"
