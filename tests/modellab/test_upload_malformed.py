"""Malformed zip uploads: a 400 that names the problem and the entry, a stable code, nothing left behind.

Before issue 15 each of these archives raised zipfile's, zlib's or the file system's own
exception in the web process: a 500 page.
"""

import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from modellab.models import Dataset
from tests.modellab.hostile import MALFORMED

pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The system's temporary folder, moved where the test can see it: the upload is copied there first."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("archive, code, entry", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_archive_gets_a_400_naming_the_problem(alice, lab_media, scratch, archive, code, entry):
    upload = SimpleUploadedFile("broken.zip", archive, content_type="application/zip")
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": upload, "name": "broken"})
    assert response.status_code == 400
    form = response.context["upload_form"]
    assert form.has_error("archive", code=code), form.errors.as_data()
    assert entry in " ".join(form.errors["archive"])
    assert not Dataset.objects.exists()
    assert list(scratch.iterdir()) == [], "the copy of the upload (lab-upload-*) is left behind"
    left = [p for p in Path(lab_media).rglob("*") if p.is_file() or p.name.endswith(".part")]
    assert left == [], "a half-extracted dataset is left behind"
