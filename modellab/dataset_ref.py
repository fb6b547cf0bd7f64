"""The dataset reference a form, a URL or the command line names a dataset by: ``builtin:<key>`` or ``upload:<id>``."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

BUILTIN = "builtin"
UPLOAD = "upload"

BAD_DATASET_REF = "bad_dataset_ref"


@dataclass(frozen=True)
class DatasetRef:
    """A parsed reference; ``str(ref)`` gives back the text ``parse`` reads."""

    kind: str  # BUILTIN or UPLOAD
    key: str  # a built-in dataset's key, or an upload's primary key as digits

    @classmethod
    def builtin(cls, key: str) -> DatasetRef:
        return cls(BUILTIN, key)

    @classmethod
    def upload(cls, pk: int) -> DatasetRef:
        return cls(UPLOAD, str(pk))

    @classmethod
    def of(cls, dataset) -> DatasetRef:
        """The reference of a Dataset row."""
        if dataset.kind == BUILTIN:
            return cls.builtin(dataset.builtin_key)
        return cls.upload(dataset.pk)

    @classmethod
    def parse(cls, text: str) -> DatasetRef:
        """The one parser of references. Raises ValidationError(code=BAD_DATASET_REF) naming what is wrong;
        whether the dataset exists is for ``services.datasets.dataset_resolve`` to say."""
        kind, sep, key = (text or "").partition(":")
        if not sep or kind not in (BUILTIN, UPLOAD):
            raise ValidationError(
                "%(ref)r is not a dataset reference: write builtin:<name> or upload:<number>.",
                code=BAD_DATASET_REF,
                params={"ref": text},
            )
        if not key or (kind == UPLOAD and not (key.isascii() and key.isdigit())):
            raise ValidationError(
                "%(ref)r does not name a dataset: after %(kind)s: comes %(what)s.",
                code=BAD_DATASET_REF,
                params={"ref": text, "kind": kind, "what": "a number" if kind == UPLOAD else "a name"},
            )
        return cls(kind, key)

    @property
    def upload_pk(self) -> int:
        return int(self.key)

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"
