r"""GIFT's lexical rules, shared by reading and writing: escapes, ``[format]`` prefixes and ``%N%`` weights.

Read as Moodle's ``question/format/gift/format.php`` reads them (escapedchar_pre/_post,
parse_text_with_format, repchar); the GIFT reader (``gift.py``), the writer (``gift_export.py``)
and the typed kinds (``gift_typed.py``) all use these and nothing else.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from .text import TRIM
from .types import BAD_WEIGHT

__all__ = ["BLANK", "escape", "escape_text", "percent", "post", "pre", "read_text", "parse_weight"]

#: What stands in the stem of a missing-word question where the answer block was.
BLANK = "_____"

# Escaped characters are replaced by placeholders (private-use code points) before the structure is
# read and restored afterwards, exactly like Moodle's escapedchar_pre/escapedchar_post.
_ESCAPES = {":": ":", "#": "#", "=": "=", "{": "{", "}": "}", "~": "~", "n": "\n", "\\": "\\"}
_PLACEHOLDER = {key: chr(0x10FFF0 + i) for i, key in enumerate(_ESCAPES)}
_RESTORE = {ord(ph): _ESCAPES[key] for key, ph in _PLACEHOLDER.items()}
_FORMATS = ("moodle", "html", "plain", "markdown")
_WEIGHT_RE = re.compile(r"%([-+0-9.\s]*)%")


def pre(text: str) -> str:
    r"""Moodle's escapedchar_pre: ``\\`` first, then ``\: \# \= \{ \} \~ \n`` become placeholders."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _PLACEHOLDER:
            out.append(_PLACEHOLDER[text[i + 1]])
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def post(text: str) -> str:
    """Moodle's escapedchar_post: the placeholders back to the characters they stand for."""
    return text.translate(_RESTORE)


def read_text(text: str) -> str:
    """Moodle's parse_text_with_format: trim, drop a ``[format]`` prefix, restore escapes, trim."""
    text = text.strip(TRIM)
    if text.startswith("["):
        end = text.find("]")
        if end != -1 and text[1:end] in _FORMATS:
            text = text[end + 1 :]
    return post(text).strip(TRIM)


def parse_weight(piece: str) -> tuple[Decimal | None, str]:
    """Read a leading ``%N%``; return (fraction or None, rest). A weight that is not a number, or
    lies outside -100..100, raises ValidationError(code=BAD_WEIGHT)."""
    match = _WEIGHT_RE.match(piece)
    if not match:
        return None, piece
    raw = match.group(1).strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError("the weight %%%(raw)s%% is not a number", code=BAD_WEIGHT, params={"raw": raw}) from None
    if not value.is_finite() or not (-100 <= value <= 100):
        raise ValidationError("the weight %%%(raw)s%% is outside -100..100", code=BAD_WEIGHT, params={"raw": raw})
    return value / 100, piece[match.end() :]


def escape(text: str) -> str:
    """Moodle's repchar: escape ``\\ # = ~ { } :`` and write line breaks as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch in "\\#=~{}:":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


def escape_text(text: str) -> str:
    """Escape a text that will be read through `read_text` (guard a leading ``[format]``-like prefix)."""
    escaped = escape(text)
    if escaped.startswith("["):
        escaped = "[markdown]" + escaped
    return escaped


def percent(fraction: Decimal) -> str:
    """A fraction as the N of GIFT's ``%N%``: 0.5 -> ``50``, -0.3333333 -> ``-33.33333``."""
    value = (Decimal(fraction) * 100).normalize()
    return format(value, "f")
