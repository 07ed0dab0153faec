from django import template

from agreements.selectors import source_line

register = template.Library()


@register.filter
def source_line_number(section: str) -> int | None:
    """The line a rule's source citation points at, for a link into the source text."""
    return source_line(section)
