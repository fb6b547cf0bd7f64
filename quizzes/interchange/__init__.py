"""Question interchange formats: GIFT and Aiken import/export, and reading an uploaded file (no database)."""
from .aiken import dump_aiken, parse_aiken
from .gift import BLANK, dump_gift, parse_gift
from .text import NOT_TEXT
from .types import ChoiceData, ImportResult, Problem, QuestionData, validate_question
from .upload import FORMATS, UNKNOWN_FORMAT, check_format, decode_upload, guess_format, upload_error_text, upload_format

__all__ = [
    "BLANK",
    "FORMATS",
    "NOT_TEXT",
    "UNKNOWN_FORMAT",
    "ChoiceData",
    "ImportResult",
    "Problem",
    "QuestionData",
    "check_format",
    "decode_upload",
    "dump_aiken",
    "dump_gift",
    "guess_format",
    "parse_aiken",
    "parse_gift",
    "upload_error_text",
    "upload_format",
    "validate_question",
]
