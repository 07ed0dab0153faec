from django import template

from agreements.selectors import source_lines

register = template.Library()


@register.filter
def source_line_number(section: str) -> int | None:
    """The line a rule's source citation points at, for a link into the source text."""
    lines = source_lines(section)
    return lines[0] if lines else None
