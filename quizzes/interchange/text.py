"""The text every interchange format reads: a str (uploads are decoded first), trimmed and split as Moodle does."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

__all__ = ["NOT_TEXT", "TRIM", "split_lines", "source_text"]

# Error code: the input is not text (bytes given to a parser, or an upload that is not UTF-8).
NOT_TEXT = "not_text"

#: PHP's trim() character set (Moodle trims every line with it).
TRIM = " \t\n\r\0\x0b"

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of `text`, split at any line break (CR LF, CR or LF) as Moodle reads files."""
    return _LINE_SPLIT.split(text)


def source_text(text, *, fmt: str) -> str:
    """What a parser of format `fmt` reads: `text` without a leading BOM.

    Raises ValidationError(code=NOT_TEXT) for anything but a str: uploads go through
    `quizzes.interchange.upload.decode_upload` first.
    """
    if not isinstance(text, str):
        raise ValidationError(
            "%(format)s input must be text; decode uploads with decode_upload().", code=NOT_TEXT, params={"format": fmt}
        )
    return text.lstrip("\ufeff")
