"""An uploaded question file made readable: bytes to text (UTF-8 only) and the format it is in.

The import service (`quizzes.authoring.importing.questions_import`), behind the admin's upload
page and the `import_questions` command, reads every file through here. A file that cannot be
read as a whole raises ValidationError with a code of this module (or `text.NOT_TEXT`), and
`params["line"]` names the line of the first byte that is not text.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from .text import NOT_TEXT, TRIM, split_lines

__all__ = ["FORMATS", "UNKNOWN_FORMAT", "check_format", "decode_upload", "guess_format", "upload_error_text", "upload_format"]

#: The interchange formats, as the commands and the admin name them.
FORMATS = ("gift", "aiken")

# Error code: a format other than FORMATS was asked for.
UNKNOWN_FORMAT = "unknown_format"


def _bad_byte_line(data: bytes) -> int:
    """The line of the first byte that makes `data` not text (a NUL, or invalid UTF-8)."""
    offset = data.find(b"\x00")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start if offset == -1 else min(offset, exc.start)
    return data.count(b"\n", 0, max(offset, 0)) + 1


def decode_upload(data: bytes | str) -> str:
    """Decode an uploaded question file: UTF-8 (a BOM is dropped), refusing anything that is not text
    (ValidationError, code NOT_TEXT, `params["line"]` = the line of the first offending byte)."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if b"\x00" in data:
        raise ValidationError(
            "The file is not a text file (it contains NUL bytes).", code=NOT_TEXT, params={"line": _bad_byte_line(data)}
        )
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "The file is not UTF-8 text (undecodable byte at offset %(offset)s).",
            code=NOT_TEXT,
            params={"offset": exc.start, "line": _bad_byte_line(data)},
        ) from None


def guess_format(text: str) -> str:
    """``"aiken"`` when the text looks like Aiken (options + ``ANSWER:`` lines, no GIFT braces), else ``"gift"``."""
    has_answer = has_option = has_brace = False
    for raw in split_lines(text):
        line = raw.strip(TRIM)
        if line.startswith("//"):
            continue
        if re.match(r"ANSWER:", line):
            has_answer = True
        elif re.match(r"[A-Z][).]", line):
            has_option = True
        if re.search(r"(?<!\\)[{}]", line):
            has_brace = True
    return "aiken" if has_answer and has_option and not has_brace else "gift"


def check_format(fmt: str) -> str:
    """`fmt` when it is one of FORMATS; else ValidationError(code=UNKNOWN_FORMAT) naming them."""
    if fmt not in FORMATS:
        raise ValidationError(
            "Unknown format '%(format)s'; use one of: %(formats)s.",
            code=UNKNOWN_FORMAT,
            params={"format": fmt, "formats": ", ".join(FORMATS)},
        )
    return fmt


def upload_format(fmt: str | None, text: str) -> str:
    """The format asked for (any letter case, spaces ignored), or guessed from `text` when none is."""
    return check_format((fmt or "").strip().lower() or guess_format(text))


def upload_error_text(name: str, error: ValidationError) -> str:
    """`name: line N: what is wrong` for a file refused as a whole (no line part where none is known)."""
    line = (error.params or {}).get("line")
    where = f"line {line}: " if line else ""
    return f"{name}: {where}{' '.join(error.messages)}"
