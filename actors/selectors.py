"""Reads of the actor directory."""

from dataclasses import dataclass

from django.db.models import CharField, Count, Prefetch, Q, QuerySet, Value

from actors.models import Huvudman, Membership, Municipality, SteeringGroup, Unit, User


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


# Stands for an active steering-group seat among the membership roles read by user_roles.
_STEERING = "steering"


def user_roles(*, user: User) -> Roles:
    """One query on every page (the menu and the 2FA check ask): the roles of the user's active
    memberships in active units, and one row more when they sit in an active steering group."""
    if not user.is_authenticated:
        return Roles()
    memberships = (
        Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
        .order_by()
        .values_list("role", flat=True)
    )
    steering = (
        SteeringGroup.objects.filter(members=user, is_active=True)
        .order_by()
        .annotate(role=Value(_STEERING, output_field=CharField()))
        .values_list("role", flat=True)
    )
    roles = set(memberships.union(steering))
    return Roles(
        is_coordinator=Membership.Role.COORDINATOR in roles,
        is_manager=Membership.Role.MANAGER in roles,
        is_admin=user.is_directory_admin,
        is_steering_member=_STEERING in roles,
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


# --- directory pages for admins (access is the view's check: directory admins only) ----------


def huvudman_list(*, query: str = "") -> QuerySet[Huvudman]:
    owners = Huvudman.objects.annotate(unit_count=Count("units", filter=Q(units__is_active=True)))
    if query:
        owners = owners.filter(Q(name__icontains=query) | Q(organisationsnummer__icontains=query))
    return owners.order_by("name", "pk")


def professional_list(*, query: str = "", role: str = "") -> QuerySet[User]:
    """Everyone with a membership, with their memberships and units in one extra query."""
    memberships = Membership.objects.select_related("unit").order_by("unit__name")
    people = User.objects.filter(memberships__isnull=False)
    if role:
        people = people.filter(memberships__role=role, memberships__is_active=True)
    if query:
        people = people.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(username__icontains=query)
            | Q(email__icontains=query)
        )
    # Filtering through memberships joins one row per membership; pk__in keeps one per person.
    return (
        User.objects.filter(pk__in=people.values("pk"))
        .prefetch_related(Prefetch("memberships", queryset=memberships))
        .order_by("last_name", "first_name", "pk")
    )


def steering_group_list(*, county: str = "") -> QuerySet[SteeringGroup]:
    groups = SteeringGroup.objects.annotate(
        member_count=Count("members", distinct=True),
        unit_count=Count("units", distinct=True),
    ).prefetch_related(Prefetch("municipalities", queryset=Municipality.objects.order_by("name")))
    if county:
        groups = groups.filter(county=county)
    return groups.order_by("county", "name", "pk")
