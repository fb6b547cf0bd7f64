"""Template filters that render a lesson's Markdown fields as sanitized HTML."""

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from courses.markdown import render_markdown, render_markdown_inline

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render a Markdown field as sanitized HTML."""
    return render_markdown(text or "")


@register.filter(name="markdown_inline")
def markdown_inline_filter(text):
    """Render a short Markdown field without the wrapping paragraph."""
    return render_markdown_inline(text or "")


@register.filter(name="markdown_line")
def markdown_line_filter(text, length=100):
    """A Markdown field's first paragraph as inline HTML, cut to ``length`` visible characters (a
    list item or a table cell that names a question or a choice; tags closed where it is cut)."""
    first = (text or "").strip().split("\n\n", 1)[0]
    return mark_safe(Truncator(render_markdown_inline(first)).chars(int(length), html=True))  # noqa: S308 - cut sanitized HTML
