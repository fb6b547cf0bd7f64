"""No lab page shows a learner a server path or a Python object repr (issue 15, finding 6).

The probe found the data folder and the torch hub cache on the new-experiment page, an object
repr among the skipped files, and a raw exception with a path as a run's failure reason. Here
every lab page is rendered with each of those sources in the worst state it can be in: rows
stored before the fix, a worker's reason with a traceback's paths, backbones and CIFAR missing.
"""

import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from modellab.models import Dataset, Experiment
from modellab.public_text import public_text
from tests.modellab.hostile import MALFORMED, good_entries
from tests.modellab.conftest import make_zip

OLD_DETAIL = "cannot identify image file <_io.BytesIO object at 0x7f3ac1d2e4b0>"  # what the report used to store


@pytest.fixture
def learner_pages(world, tmp_path, monkeypatch):
    """(learner's client, the URLs of every lab page a learner opens), with paths in every source."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))  # torchvision backbones: weights missing
    report = world.dataset.report | {
        "skipped": [
            {"path": "red/old.png", "reason": "corrupt_image", "detail": OLD_DETAIL},
            {
                "path": "red/long.png",
                "reason": "corrupt_image",
                "detail": f"[Errno 36] File name too long: '{settings.MEDIA_ROOT}/x'",
            },
        ]
    }
    Dataset.objects.filter(pk=world.dataset.pk).update(report=report)
    reason = (
        f"[Errno 2] No such file or directory: '{settings.MEDIA_ROOT}/lab/runs/7/model.pt' "
        f'(File "{settings.BASE_DIR}/.venv/lib/python3.11/site-packages/torch/serialization.py", line 771) '
        "from <function load at 0x7f00deadbeef>"
    )
    Experiment.objects.filter(pk=world.experiment2.pk).update(status=Experiment.Status.FAILED, failure_reason=reason)
    sweep_run = Experiment.objects.filter(sweep_group=world.sweep_group).first()
    Experiment.objects.filter(pk=sweep_run.pk).update(status=Experiment.Status.FAILED, failure_reason=reason)
    ids = f"ids={world.experiment.pk}&ids={world.experiment2.pk}"
    urls = [
        reverse("modellab:home"),
        reverse("modellab:new"),
        reverse("modellab:new") + f"?dataset=upload:{world.dataset.pk}",
        reverse("modellab:dataset", args=[world.dataset.pk]),
        reverse("modellab:experiment", args=[world.experiment.pk]),
        reverse("modellab:experiment", args=[world.experiment2.pk]),
        reverse("modellab:experiment_trace", args=[world.experiment2.pk]),
        reverse("modellab:compare") + "?" + ids,
        reverse("modellab:compare_trace") + "?" + ids,
        reverse("modellab:size_sweep", args=[world.sweep_group]),
        reverse("modellab:size_sweep_trace", args=[world.sweep_group]),
        reverse("courses:lesson", args=[world.lesson.slug]),  # its lab presets, CIFAR missing
    ]
    client = Client()
    client.force_login(world.alice)
    return client, urls


def assert_no_server_detail(html: str, where: str):
    needles = [
        "/work",
        "/tmp",
        str(settings.DATA_DIR),
        str(settings.MEDIA_ROOT),
        str(settings.LAB_CIFAR_ROOT),
        str(settings.BASE_DIR),
        "torch-home",
        "site-packages",
        "SkippedFile(",
        "ZipInfo",
    ]
    for needle in needles:
        assert needle not in html, f"{where} shows {needle!r}"
    assert not re.search(r"at 0x[0-9a-f]+", html), f"{where} shows an object repr"


def test_no_lab_page_shows_a_server_path_or_a_repr(world, learner_pages):
    client, urls = learner_pages
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_server_detail(response.content.decode(), url)


def test_the_reasons_are_still_there_in_words(world, learner_pages):
    """Paths are taken out, not the reasons: the learner still reads why."""
    client, _ = learner_pages
    new = client.get(reverse("modellab:new")).content.decode()
    assert "CIFAR-10 is not available on this site." in new
    assert "ResNet-18 (ImageNet, torchvision): its pre-trained weights are not available on this site" in new
    for instruction in ("manage.py", "fetch_data", "fetch_weights", "[server path]", "LAB_CIFAR_ROOT"):
        assert instruction not in new, f"a learner reads the admin's instruction {instruction!r}"
    failed = client.get(reverse("modellab:experiment", args=[world.experiment2.pk])).content.decode()
    assert "No such file or directory: &#x27;[server path]&#x27;" in failed
    sweep = client.get(reverse("modellab:size_sweep", args=[world.sweep_group])).content.decode()
    assert "No such file or directory: &#x27;[server path]&#x27;" in sweep
    report = client.get(reverse("modellab:dataset", args=[world.dataset.pk])).content.decode()
    assert "cannot identify image file [object]" in report


def test_refusals_on_submit_and_upload_show_no_server_path(world, learner_pages):
    """The form errors of a submit that names what is missing here, and of every malformed upload."""
    client, _ = learner_pages
    data = {"backbone": "tiny", "strategy": "features", "epochs": "1", "lr": "0.01", "batch_size": "8", "action": "run"}
    for choice in ({"dataset": "builtin:cifar-cat-dog-bird"}, {"dataset": "builtin:digits", "backbone": "resnet18"}):
        response = client.post(reverse("modellab:new"), data | choice)
        assert response.status_code == 400
        assert_no_server_detail(response.content.decode(), f"the refused submit {choice}")
    junk = make_zip(good_entries() | {"red/junk.png": b"junk", "red/cut.png": good_entries()["red/red1.png"][:60]})
    for name, archive in [(m[0], m[1]) for m in MALFORMED] + [("junk", junk)]:
        response = client.post(
            reverse("modellab:dataset_upload"),
            {"archive": SimpleUploadedFile("d.zip", archive, content_type="application/zip")},
            follow=True,
        )
        assert_no_server_detail(response.content.decode(), f"the upload {name}")


def test_staff_who_may_view_workers_read_what_to_do_on_the_lab_status_page(world, learner_pages, django_user_model):
    """Whoever runs the site reads the paths and commands on the admin's Lab status page; the learner
    pages show them to nobody, a superuser or a staff account with no permissions included."""
    status_url = reverse("admin:modellab_lab_status")
    client = Client()
    client.force_login(world.admin)
    status = client.get(status_url).content.decode()
    assert str(settings.LAB_CIFAR_ROOT) in status and "manage.py fetch_data cifar10" in status
    assert "torch-home" in status and "fetch_weights resnet18" in status
    bare_staff = django_user_model.objects.create_user("bare-staff", password="a-long-pass-42", is_staff=True)
    for user in (world.admin, bare_staff):
        client.force_login(user)
        for url in (reverse("modellab:new"), reverse("modellab:new") + f"?dataset=upload:{world.dataset.pk}"):
            response = client.get(url)
            assert response.status_code == 200
            assert_no_server_detail(response.content.decode(), f"{url} as {user}")
            assert "fetch_data" not in response.content.decode()
    assert client.get(status_url).status_code == 403, "staff with no permissions do not read the Lab status"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("extract it into /srv/data/cifar (LAB_CIFAR_ROOT).", "extract it into [server path] (LAB_CIFAR_ROOT)."),
        ("see https://download.pytorch.org/models/x.pth and ~kriz/", "see https://download.pytorch.org/models/x.pth and ~kriz/"),
        ("missing (~/.cache/torch/hub/x.pth); 3/4 img/s", "missing ([server path]); 3/4 img/s"),
        ("C:\\Users\\ada\\x.zip is gone", "[server path] is gone"),
        ("file <_io.BytesIO object at 0x7f3a> and <function f at 0xABC>", "file [object] and [object]"),
        ("Stopped at the time limit: 60 s.", "Stopped at the time limit: 60 s."),
    ],
)
def test_public_text(text, shown):
    assert public_text(text) == shown
