"""Template filters that render a lesson's Markdown fields as sanitized HTML."""
from django import template

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
