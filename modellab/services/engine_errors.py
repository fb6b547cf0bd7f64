"""The one place the lab turns an engine error into the project's ValidationError, code and message kept."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

if TYPE_CHECKING:  # importing the engine at module level would load torch into every Django process
    from modellab.engine import EngineError


def validation_error_from_engine(exc: EngineError) -> ValidationError:
    """A ValidationError with the engine error's ``code`` and its ``message`` as it is (no interpolation)."""
    return ValidationError(exc.message, code=exc.code)
