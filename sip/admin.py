from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sip.models import (
    Case,
    Consent,
    Guardian,
    Individual,
    Intervention,
    Invitation,
    LeadAssignment,
    Meeting,
    NoIntervention,
    Participant,
    Plan,
)


class GuardianInline(admin.TabularInline):
    model = Guardian
    extra = 0


@admin.register(Individual)
class IndividualAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "id_kind", "home_municipality", "protected_identity"]
    list_filter = ["id_kind", "protected_identity", "protected_residence"]
    search_fields = ["last_name", "first_name", "id_number", "reserve_number"]
    filter_horizontal = ["authorised_users"]
    inlines = [GuardianInline]


@admin.register(Case)
class CaseAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "individual", "status", "convening_unit", "is_acute", "opened_at"]
    list_filter = ["status", "is_acute", "agreement"]
    # Status changes go through the services, which enforce the state machine and the clocks.
    readonly_fields = ["status", "agreement", "opened_at", "ended_at", "end_reason"]
    raw_id_fields = ["individual", "convening_unit", "coordinator"]


@admin.register(Consent)
class ConsentAdmin(SimpleHistoryAdmin):
    list_display = ["case", "given_at", "valid_until", "withdrawn_at"]
    readonly_fields = ["case", "given_at", "withdrawn_at", "withdrawn_by"]


class InvitationInline(admin.TabularInline):
    model = Invitation
    extra = 0
    readonly_fields = ["participant", "response", "decline_reason", "attended"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "case", "kind", "status", "kallelse_sent_at"]
    list_filter = ["kind", "status"]
    readonly_fields = ["uid", "sequence", "status", "kallelse_sent_at", "held_at"]
    inlines = [InvitationInline]


@admin.register(Participant)
class ParticipantAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "case"]
    raw_id_fields = ["case", "unit"]


class InterventionInline(admin.TabularInline):
    model = Intervention
    extra = 0


class NoInterventionInline(admin.TabularInline):
    model = NoIntervention
    extra = 0


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["case", "version", "created_at", "lead_name", "next_follow_up"]
    inlines = [InterventionInline, NoInterventionInline]

    def has_change_permission(self, request, obj=None) -> bool:
        # Plan versions are kept as written; a change is a new version through the service.
        return False


@admin.register(LeadAssignment)
class LeadAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["case", "name", "unit", "started_at", "ended_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Sub-feature admins register themselves on import; autodiscovery only loads this module.
import sip.placements.admin  # noqa: E402, F401
from sip.deviations import admin as deviation_admin  # noqa: E402, F401 - registers the models
