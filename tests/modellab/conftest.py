"""Fixtures of the lab's web-side tests: users, media in a temporary folder, tiny datasets."""

import io
import zipfile
from unittest import mock

import pytest
from PIL import Image

from modellab import storage
from modellab.models import Dataset


@pytest.fixture
def lab_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "lab-local"
    settings.LAB_CIFAR_ROOT = tmp_path / "no-cifar"
    settings.LAB_DEVICE = "cpu"
    return settings.MEDIA_ROOT


@pytest.fixture
def delay():
    """The run task's ``delay``, recorded instead of sent (no broker in these tests)."""
    with mock.patch("modellab.tasks.run_experiment.delay") as m:
        yield m


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", password="pw-alice-123")


@pytest.fixture
def alice(client, user):
    """The test client signed in as `user` (alice)."""
    client.force_login(user)
    return client


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("bob", password="pw-bob-123")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-staff-123", is_staff=True)


def png_bytes(color, size=32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


def make_zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def colour_zip(per_class=6) -> bytes:
    """Two separable classes: reddish and bluish squares, plus one non-image that is skipped."""
    files = {}
    for i in range(per_class):
        files[f"red/r{i}.png"] = png_bytes((200 + i * 5, 10, 10))
        files[f"blue/b{i}.png"] = png_bytes((10, 10, 200 + i * 5))
    files["red/notes.txt"] = b"not an image"
    return make_zip(files)


@pytest.fixture
def tiny_dataset(db, user, lab_media):
    """An uploaded-kind dataset of ``user``: 3 digit classes, 8 images each, 32x32."""
    from modellab import engine

    folder = f"{storage.UPLOAD_ROOT}/u{user.pk}/tiny"
    report = engine.materialize_digits(storage.local_dir(folder), classes=[0, 1, 2], max_per_class=8)
    return Dataset.objects.create(
        owner=user, name="tiny digits", kind=Dataset.Kind.UPLOAD, folder=folder, report=report.to_dict()
    )
