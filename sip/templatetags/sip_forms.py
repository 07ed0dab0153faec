"""Render a form field with Bootstrap classes and the ARIA links screen readers need."""

from django import forms, template

register = template.Library()

_LISTS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def bootstrap(field: forms.BoundField) -> str:
    """The field's widget with its Bootstrap class, aria-invalid on error, and aria-describedby
    naming the help text and error elements that _form_fields.html renders."""
    widget = field.field.widget
    if isinstance(widget, (forms.CheckboxInput, *_LISTS)):
        css = "form-check-input"
    elif isinstance(widget, forms.Select | forms.SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {}
    described_by = []
    if field.help_text:
        described_by.append(f"{field.auto_id}_help")
    if field.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
        described_by.append(f"{field.auto_id}_error")
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    existing = widget.attrs.get("class", "")
    attrs["class"] = f"{existing} {css}".strip()
    return field.as_widget(attrs=attrs)
