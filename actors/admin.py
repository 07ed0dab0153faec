from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from actors import services
from actors.models import Huvudman, Membership, Municipality, SteeringGroup, Unit, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user", "unit"]
    fields = ["user", "unit", "role", "is_active"]


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["key", "name", "kind", "municipality", "has_system_access", "is_active"]
    autocomplete_fields = ["municipality"]
    show_change_link = True
    # Units are deactivated, never deleted, once anything refers to them.
    can_delete = False


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Kontakt"), {"fields": ("title", "phone")}),
    )
    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "memberships__role"]
    search_fields = ["username", "first_name", "last_name", "email"]
    inlines = [MembershipInline]


@admin.register(Huvudman)
class HuvudmanAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisationsnummer", "kind", "county"]
    list_filter = ["kind", "county"]
    search_fields = ["name", "organisationsnummer"]
    inlines = [UnitInline]


@admin.register(Municipality)
class MunicipalityAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "county", "county_part"]
    list_filter = ["county", "county_part"]
    search_fields = ["code", "name"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    change_list_template = "actors/admin/unit_change_list.html"
    list_display = [
        "name",
        "key",
        "kind",
        "huvudman",
        "municipality",
        "has_system_access",
        "is_active",
    ]
    list_filter = ["is_active", "has_system_access", "kind", "huvudman__kind", "municipality"]
    list_select_related = ["huvudman", "municipality"]
    search_fields = ["name", "key", "hsa_id", "email", "huvudman__name"]
    autocomplete_fields = ["huvudman", "municipality"]
    inlines = [MembershipInline]
    actions = ["deactivate"]

    def get_actions(self, request: HttpRequest) -> dict:
        # Bulk delete would only meet PROTECT errors: units are deactivated instead.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Inaktivera"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Unit]) -> None:
        count = sum(services.unit_deactivate(unit=unit, user=request.user) for unit in queryset)
        self.message_user(
            request, gettext("%d verksamheter inaktiverades.") % count, messages.SUCCESS
        )


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "unit", "role", "is_active"]
    list_filter = ["role", "is_active", "unit__kind"]
    list_select_related = ["user", "unit"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(SteeringGroup)
class SteeringGroupAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "level", "county", "is_active"]
    list_filter = ["kind", "level", "county", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["members", "units", "municipalities"]
