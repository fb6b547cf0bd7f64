"""Markdown to safe HTML: Python-Markdown for syntax, Pygments for code, nh3 for safety.

Rendering is a pure function of the text, cached in memory, so pages never store
derived HTML and an edit shows at once.
"""

from functools import lru_cache

import markdown as md
import nh3
from django.utils.safestring import SafeString, mark_safe

_EXTENSIONS = ["fenced_code", "codehilite", "tables", "sane_lists"]
_EXTENSION_CONFIGS = {"codehilite": {"css_class": "highlight", "guess_lang": False}}

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "em",
    "strong",
    "code",
    "pre",
    "span",
    "div",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sub",
    "sup",
    "del",
}
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
}


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> SafeString:
    """Render Markdown to HTML that is safe to insert into a page.

    Raw HTML in the source is sanitized away (scripts, event handlers, styles);
    links keep only http(s), mailto and relative URLs and get rel="noopener noreferrer".
    """
    html = md.markdown(text or "", extensions=_EXTENSIONS, extension_configs=_EXTENSION_CONFIGS)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - nh3 output is sanitized


@lru_cache(maxsize=4096)
def render_markdown_inline(text: str) -> SafeString:
    """Like render_markdown, for a short text shown inside a line (no wrapping <p>)."""
    html = str(render_markdown(text)).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return mark_safe(html)  # noqa: S308 - already sanitized
