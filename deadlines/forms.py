"""The overdue page's filter form: units limited to those the manager answers for."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agreements.models import DeadlineRule
from deadlines.selectors import ManagedScope, OverdueState


class OverdueFilterForm(forms.Form):
    # Choices from the scope the page has already read: no query to list or check the units.
    unit = forms.TypedChoiceField(
        label=_("Verksamhet"), required=False, coerce=int, empty_value=None
    )
    kind = forms.ChoiceField(
        label=_("Typ av frist"),
        required=False,
        choices=[("", _("Alla")), *DeadlineRule.Kind.choices],
    )
    state = forms.ChoiceField(
        label=_("Läge"), required=False, choices=[("", _("Alla")), *OverdueState.choices]
    )

    def __init__(self, *args, scope: ManagedScope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [
            ("", _("Alla")),
            *((unit.pk, unit.name) for unit in scope.units),
        ]

    def select_fields(self) -> list[tuple[forms.BoundField, list[tuple[object, object, bool]]]]:
        """Each field with its options as (value, label, selected), the field's value read
        once: the template comparing it per option read it once per option (about a hundred)."""
        fields = []
        for field in self:
            current = str(field.value())  # as the template's stringformat:"s" compared them
            choices = field.field.choices
            options = [(value, label, str(value) == current) for value, label in choices]
            fields.append((field, options))
        return fields

    def filters(self) -> dict:
        """The valid filters (`unit` as a unit id); an invalid one (e.g. a unit that is not
        yours) is dropped and its error shown, so the page falls back to all of the manager's
        own units."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors and value
        }
