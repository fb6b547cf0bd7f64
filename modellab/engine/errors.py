"""The engine's one error type: a stable ``code`` for programs and tests, a ``message`` for people.

The lab's services turn an EngineError into the project's ValidationError with the same
code (see the README's code map), so a learner reads ``message`` and never a traceback.
"""

from __future__ import annotations


class EngineError(Exception):
    """A run or a dataset the engine refuses; ``code`` is stable, ``message`` says what to do."""

    code = "engine_error"

    def __init__(self, code: str | None, message: str):
        super().__init__(message)
        if code:
            self.code = code
        self.message = message


class DatasetError(EngineError):
    """A dataset cannot be used (codes: see ``upload.ERROR_CODES`` and the built-in datasets)."""


class BackboneUnavailable(EngineError):
    """The backbone's weights are not on this machine; the message says how to get them."""

    code = "backbone_unavailable"

    def __init__(self, message: str):
        super().__init__(None, message)


class WeightsMismatch(EngineError):
    """A weights file does not have its pinned sha256: it is not the file we expect."""

    code = "weights_mismatch"

    def __init__(self, message: str):
        super().__init__(None, message)
