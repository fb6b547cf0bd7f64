"""The one place the lab turns an engine error into what people read: a ValidationError, or a run's failure reason."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:  # importing the engine at module level would load torch into every Django process
    from modellab.engine import EngineError

# An absolute path on the server: a "/" that starts a word (not the "//" of a URL, not "a/b"),
# up to the next space or quote, a trailing full stop or comma left out.
_SERVER_PATH = re.compile(r"(?<![^\s'\"(\[=])/(?:[^\s'\")\]]*[^\s'\")\].,;:])")
SERVER_PATH_TEXT = "a folder on the server"


def validation_error_from_engine(exc: EngineError) -> ValidationError:
    """A ValidationError with the engine error's ``code`` and its ``message`` as it is (no interpolation)."""
    return ValidationError(exc.message, code=exc.code)


def run_failure_from_engine(exc: EngineError) -> tuple[str, str]:
    """(code, reason) of a run the engine refused, for the learner's page: the engine's message with
    every server path replaced by words (where a worker keeps its files is internal, and means
    nothing on the learner's side)."""
    return exc.code, _SERVER_PATH.sub(SERVER_PATH_TEXT, exc.message)
