"""Question interchange formats: GIFT and Aiken import/export, and reading an uploaded file (no database)."""

from .aiken import aiken_losses, aiken_problem, dump_aiken, parse_aiken
from .gift import parse_gift
from .gift_export import dump_gift, gift_problem
from .gift_syntax import BLANK
from .text import NOT_TEXT
from .types import ANY_ANSWER, ChoiceData, ImportResult, Problem, QuestionData, validate_question
from .upload import FORMATS, UNKNOWN_FORMAT, check_format, decode_upload, guess_format, upload_error_text, upload_format

__all__ = [
    "ANY_ANSWER",
    "BLANK",
    "FORMATS",
    "NOT_TEXT",
    "UNKNOWN_FORMAT",
    "ChoiceData",
    "ImportResult",
    "Problem",
    "QuestionData",
    "aiken_losses",
    "aiken_problem",
    "check_format",
    "decode_upload",
    "dump_aiken",
    "dump_gift",
    "gift_problem",
    "guess_format",
    "parse_aiken",
    "parse_gift",
    "upload_error_text",
    "upload_format",
    "validate_question",
]
