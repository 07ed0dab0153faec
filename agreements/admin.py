"""Admin for agreements: rules and ladders are edited here, each with the source it comes from."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from agreements.models import Agreement, ClosedDay, DeadlineRule, EscalationLevel
from agreements.services import agreement_new_version
from config.exceptions import ApplicationError


class DeadlineRuleInlineFormSet(forms.BaseInlineFormSet):
    """Refuses two active rules of one kind among the submitted rows.

    The model check compares each row with the database only, so two new rows of the same kind
    in one submission would otherwise reach the partial unique index as an IntegrityError.
    """

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE") or not form.cleaned_data.get("is_active"):
                continue
            kind = form.cleaned_data.get("kind")
            if kind in seen:
                raise ValidationError(
                    _(
                        "Två aktiva fristregler av typen ”%(kind)s”. "
                        "Inaktivera eller ta bort en av dem."
                    ),
                    code="duplicate_active_kind",
                    params={"kind": DeadlineRule.Kind(kind).label},
                )
            seen.add(kind)


class DeadlineRuleInline(admin.StackedInline):
    model = DeadlineRule
    formset = DeadlineRuleInlineFormSet
    extra = 0
    fields = [
        ("kind", "is_active"),
        ("start_event", "amount", "time_unit"),
        ("responsible", "reminder_offsets", "escalate_after"),
        "source_section",
        "source_quote",
    ]


class EscalationLevelInline(admin.TabularInline):
    model = EscalationLevel
    extra = 0
    fields = [
        "order",
        "name",
        "kind",
        "steering_group_kind",
        "reply_working_days",
        "source_section",
        "source_quote",
    ]


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0
    fields = ["date", "reason"]


class NewVersionForm(forms.Form):
    valid_from = forms.DateField(
        label=_("Ny version gäller från"), widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["name", "version", "county", "target_group", "valid_from", "valid_to"]
    list_filter = ["county", "target_group"]
    search_fields = ["name", "code", "source_document", "source_title"]
    filter_horizontal = ["parties"]
    inlines = [DeadlineRuleInline, EscalationLevelInline, ClosedDayInline]
    readonly_fields = ["sources"]
    actions = ["create_new_version"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("code", "version"),
                    "name",
                    ("county", "target_group"),
                    ("valid_from", "valid_to"),
                    "parties",
                    "create_deviation_drafts",
                    "fallback_cost_rule",
                    "fallback_cost_payer",
                ]
            },
        ),
        (
            _("Källor"),
            {"fields": [("source_document", "source_title"), "sources"]},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agreement]:
        return super().get_queryset(request).prefetch_related("rules", "escalation_levels")

    @admin.display(description=_("Regler och nivåer med källa"))
    def sources(self, obj: Agreement) -> str:
        if obj.pk is None:
            return gettext("Visas när överenskommelsen har sparats.")
        rows = [
            (rule.get_kind_display(), rule.source_section, rule.source_quote)
            for rule in obj.rules.all()
        ] + [
            (str(level), level.source_section, level.source_quote)
            for level in sorted(obj.escalation_levels.all(), key=lambda level: level.order)
        ]
        if not rows:
            return gettext("Inga regler eller nivåer.")
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><strong>{}</strong>: {}<br><q>{}</q></li>", rows),
        )

    @admin.action(description=_("Skapa ny version"), permissions=["add"])
    def create_new_version(
        self, request: HttpRequest, queryset: QuerySet[Agreement]
    ) -> HttpResponse | None:
        """Ask for the start date, then version every selected agreement from that date."""
        form = NewVersionForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for agreement in queryset:
                try:
                    new = agreement_new_version(
                        agreement=agreement,
                        valid_from=form.cleaned_data["valid_from"],
                        by=request.user,
                    )
                except ApplicationError as exc:
                    self.message_user(request, f"{agreement}: {exc.message}", messages.ERROR)
                else:
                    self.message_user(
                        request,
                        gettext("Skapade %(agreement)s.") % {"agreement": new},
                        messages.SUCCESS,
                    )
            return None
        return TemplateResponse(
            request,
            "admin/agreements/agreement/new_version.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Skapa ny version"),
                "opts": self.model._meta,
                "form": form,
                "agreements": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
