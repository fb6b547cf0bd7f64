"""Question interchange formats: GIFT and Aiken import/export (pure Python, no database)."""
from .aiken import dump_aiken, parse_aiken
from .gift import BLANK, decode_upload, dump_gift, guess_format, parse_gift
from .types import (
    ChoiceData,
    ImportResult,
    InterchangeError,
    Problem,
    QuestionData,
    validate_question,
)

__all__ = [
    "BLANK",
    "ChoiceData",
    "ImportResult",
    "InterchangeError",
    "Problem",
    "QuestionData",
    "decode_upload",
    "dump_aiken",
    "dump_gift",
    "guess_format",
    "parse_aiken",
    "parse_gift",
    "validate_question",
]
