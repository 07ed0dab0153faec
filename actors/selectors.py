"""Reads of the actor directory."""

from dataclasses import dataclass

from django.db.models import QuerySet

from actors.models import Membership, SteeringGroup, Unit, User


@dataclass(frozen=True)
class Roles:
    """What a user may use, derived from their memberships; drives navigation and access checks."""

    is_coordinator: bool = False
    is_manager: bool = False
    is_admin: bool = False
    is_steering_member: bool = False

    @property
    def labels(self) -> list[str]:
        from django.utils.translation import gettext as _

        names = []
        if self.is_coordinator:
            names.append(_("Handläggare"))
        if self.is_manager:
            names.append(_("Chef"))
        if self.is_steering_member:
            names.append(_("Styrgrupp"))
        if self.is_admin:
            names.append(_("Administratör"))
        return names


def user_roles(*, user: User) -> Roles:
    if not user.is_authenticated:
        return Roles()
    unit_roles = set(
        Membership.objects.filter(user=user, is_active=True, unit__is_active=True).values_list(
            "role", flat=True
        )
    )
    return Roles(
        is_coordinator=Membership.Role.COORDINATOR in unit_roles,
        is_manager=Membership.Role.MANAGER in unit_roles,
        is_admin=user.is_directory_admin,
        is_steering_member=SteeringGroup.objects.filter(members=user, is_active=True).exists(),
    )


def unit_list_for_member(*, user: User, role: str | None = None) -> QuerySet[Unit]:
    memberships = Membership.objects.filter(user=user, is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    return Unit.objects.filter(is_active=True, pk__in=memberships.values("unit_id")).select_related(
        "huvudman", "municipality"
    )


def unit_search(*, query: str = "", kind: str = "", municipality_code: str = "") -> QuerySet[Unit]:
    units = Unit.objects.filter(is_active=True).select_related("huvudman", "municipality")
    if query:
        units = units.filter(name__icontains=query)
    if kind:
        units = units.filter(kind=kind)
    if municipality_code:
        units = units.filter(municipality__code=municipality_code)
    return units.order_by("name")
