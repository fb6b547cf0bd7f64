"""A finished run's take-aways through the site: the ONNX download with its tested snippet, and the Grad-CAM heatmaps on the run and comparison pages."""

import contextlib
import hashlib
import html
import io
import re

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from common.onnx_contract import SNIPPET
from modellab import storage
from modellab.heatmaps import alt_text, compare_indices, gallery_order, heatmap_indices
from modellab.models import Experiment
from modellab.services.experiments import experiment_submit
from modellab.services.predict import experiment_predict

pytestmark = pytest.mark.django_db
S = Experiment.Status


@pytest.fixture
def comparison(user, tiny_dataset, settings, django_capture_on_commit_callbacks):
    """A pre-trained arm and a from-scratch arm, really run through the task (eager)."""
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            runs = experiment_submit(
                owner=user,
                dataset=tiny_dataset,
                backbone="tiny",
                strategy="features",
                epochs=2,
                lr=0.01,
                batch_size=8,
                compare=True,
            )
    finally:
        app.conf.task_always_eager = False
    for e in runs:
        e.refresh_from_db()
        assert e.status == S.SUCCEEDED, e.failure_reason
    return runs


def snippet_on_page(page: str) -> str:
    match = re.search(r'<pre class="lab-snippet"><code>(.*?)</code></pre>', page, re.DOTALL)
    assert match, "no snippet on the run page"
    return html.unescape(match.group(1))


def odd_image() -> bytes:
    """A non-square image with structure, so that resizing and cropping matter."""
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, (30, 47, 3), dtype=np.uint8)
    arr[5:20, 10:30] = (240, 240, 240)
    out = io.BytesIO()
    Image.fromarray(arr).save(out, "PNG")
    return out.getvalue()


def test_each_run_stores_an_onnx_file_and_heatmaps_that_its_page_shows(alice, comparison):
    """Both files travel with the run's outputs; the run page shows the heatmaps with words and a scale."""
    for e in comparison:
        folder = e.results["model_path"].rsplit("/", 1)[0]
        assert e.results["onnx_path"] == f"{folder}/model.onnx"
        assert (storage.local_dir(folder) / "model.onnx").is_file()
        heatmaps = e.results["heatmaps"]
        assert sorted(map(int, heatmaps)) == heatmap_indices(e.results["predictions"])
        for index, entry in heatmaps.items():
            p = e.results["predictions"][int(index)]
            assert entry["predicted"]["class"] == p["predicted"]
            assert ("true" in entry) == (p["true"] != p["predicted"])
            assert (storage.local_dir(folder) / "gradcam" / f"{index}-predicted.png").is_file()
    # the run page shows them, each with its text alternative, and serves them
    e = comparison[0]
    page = alice.get(reverse("modellab:experiment", args=[e.pk])).content.decode()
    assert 'class="lab-heat-scale"' in page
    for index in gallery_order(e.results["predictions"]):
        entry = e.results["heatmaps"][str(index)]
        for kind in ("predicted", "true"):
            assert (reverse("modellab:experiment_heatmap", args=[e.pk, index, kind]) in page) == (kind in entry)
        assert f'alt="{escape(alt_text(entry["predicted"], "predicted"))}"' in page
    image = alice.get(reverse("modellab:experiment_heatmap", args=[e.pk, 0, "predicted"]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(image.content)) as im:
        assert im.format == "PNG"
    wrong_kind = alice.get(reverse("modellab:experiment_heatmap", args=[e.pk, 0, "secret"]))
    missing = alice.get(reverse("modellab:experiment_heatmap", args=[e.pk, 9999, "predicted"]))
    assert wrong_kind.status_code == missing.status_code == 404


def test_the_downloaded_model_and_the_page_snippet_classify_as_the_site_does(alice, comparison, tmp_path, monkeypatch):
    """The snippet as the page shows it, run on the downloaded file: the same top-1 and probabilities (1e-4)
    as the site's own prediction of the same image."""
    for e in comparison:
        page = alice.get(reverse("modellab:experiment", args=[e.pk])).content.decode()
        snippet = snippet_on_page(page)
        assert snippet == SNIPPET
        response = alice.get(reverse("modellab:experiment_model", args=[e.pk]))
        assert response.status_code == 200 and 'filename="model.onnx"' in response["Content-Disposition"]
        assert reverse("modellab:experiment_model", args=[e.pk]) in page
        home = tmp_path / f"home-{e.pk}"
        home.mkdir()
        (home / "model.onnx").write_bytes(b"".join(response.streaming_content))
        (home / "my_image.png").write_bytes(odd_image())
        monkeypatch.chdir(home)
        out, scope = io.StringIO(), {}
        with contextlib.redirect_stdout(out):
            exec(compile(snippet, "snippet", "exec"), scope)  # noqa: S102 - the page's snippet is what is tested
        site = experiment_predict(experiment=e, image_file=io.BytesIO(odd_image()), top_k=10)
        classes, probs = scope["classes"], scope["probs"]
        assert classes == e.results["class_names"]
        assert classes[int(np.argmax(probs))] == site[0][0]
        for name, p in site:
            assert abs(float(probs[classes.index(name)]) - p) <= 1e-4
        assert out.getvalue().splitlines()[0].startswith(f"{site[0][0]}: ")
    # the prediction form's answer carries the heatmap of the uploaded image, stored beside the run's outputs
    e = comparison[0]
    page = alice.get(reverse("modellab:experiment", args=[e.pk])).content.decode()
    response = alice.post(
        reverse("modellab:experiment_predict", args=[e.pk]),
        {"image": SimpleUploadedFile("mine.png", odd_image(), content_type="image/png")},
    )
    answer = response.content.decode()
    assert response.status_code == 200 and 'class="lab-prediction"' in answer
    digest = hashlib.sha256(odd_image()).hexdigest()
    url = reverse("modellab:experiment_upload_heatmap", args=[e.pk, digest])
    assert url in answer and "Grad-CAM heatmap for the predicted class" in answer
    assert storage.local_dir(e.results["model_path"]).parent.joinpath("uploads", f"{digest}.png").is_file()
    image = alice.get(url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert alice.get(reverse("modellab:experiment_upload_heatmap", args=[e.pk, "0" * 64])).status_code == 404
    assert alice.get(reverse("modellab:experiment_upload_heatmap", args=[e.pk, "..%2Fx"])).status_code == 404
    # a run stored without one offers none
    e = comparison[0]
    e.results.pop("onnx_path")
    e.save(update_fields=["results"])
    page = alice.get(reverse("modellab:experiment", args=[e.pk])).content.decode()
    assert "This run has no exported model to download." in page
    assert alice.get(reverse("modellab:experiment_model", args=[e.pk])).status_code == 404


def test_comparison_shows_both_arms_on_the_same_images(alice, comparison):
    query = "&".join(f"ids={e.pk}" for e in comparison)
    page = alice.get(reverse("modellab:compare") + "?" + query).content.decode()
    section = page[page.index('id="heatmaps"') :]
    rows = re.findall(r'<tr data-image="(\d+)">(.*?)</tr>', section, re.DOTALL)
    assert [int(i) for i, _ in rows] == compare_indices(comparison[0].results["predictions"])
    assert len({comparison[0].results["predictions"][int(i)]["true"] for i, _ in rows}) == 3  # every class shown
    for index, row in rows:
        for e in comparison:
            assert f'data-run="{e.pk}"' in row
            assert reverse("modellab:experiment_heatmap", args=[e.pk, int(index), "predicted"]) in row
        assert row.count("hottest in the") + row.count("no region of the image") >= len(comparison)


def test_the_lessons_run_it_for_real_links_to_the_comparisons_heatmaps(rf, user, tiny_dataset):
    import uuid

    from django.template.loader import render_to_string
    from django.utils import timezone

    group = uuid.uuid4()
    runs = [
        Experiment.objects.create(
            owner=user,
            dataset=tiny_dataset,
            backbone="tiny",
            strategy=strategy,
            epochs=1,
            lr=0.01,
            batch_size=8,
            status=S.SUCCEEDED,
            comparison_group=group,
            lesson_slug="why-pretrained",
            finished_at=timezone.now(),
        )
        for strategy in ("features", "scratch")
    ]
    request = rf.get("/")
    request.user = user
    html = render_to_string(
        "courses/_lesson_lab_trace.html", {"lesson": type("L", (), {"slug": "why-pretrained"})}, request=request
    )
    link = escape(f"{reverse('modellab:compare')}?ids={runs[0].pk}&ids={runs[1].pk}#heatmaps")
    assert f'<a href="{link}">where each network looks</a>' in html


@pytest.mark.integration
def test_on_a_bucket_the_web_hands_out_what_another_machine_made(alice, user, s3_media, s3_server, settings, tmp_path):
    """A worker on another machine trains; the web, which shares only the bucket with it, serves the ONNX file
    (classifying as the web's own prediction does), the heatmaps, and an uploaded image's heatmap (into the bucket)."""
    from tests.modellab.conftest import png_bytes
    from tests.modellab.test_multinode import top1_of_uniform_image
    from tests.modellab.test_s3 import files_in, run_on, submit, upload

    run = run_on(settings, tmp_path / "node-b", submit(user, upload(alice)))
    assert run.status == S.SUCCEEDED, run.failure_reason
    keys = set(s3_server.keys(s3_media))
    assert {f"lab/runs/{run.pk}/model.onnx", f"lab/runs/{run.pk}/gradcam/0-predicted.png"} <= keys
    assert files_in(settings.LAB_LOCAL_CACHE_DIR) == []  # the web has nothing of the run yet

    download = alice.get(reverse("modellab:experiment_model", args=[run.pk]))
    assert download.status_code == 200
    predicted = alice.post(
        reverse("modellab:experiment_predict", args=[run.pk]),
        {"image": SimpleUploadedFile("mine.png", png_bytes((220, 5, 5)), content_type="image/png")},
    )
    assert predicted.status_code == 200
    assert top1_of_uniform_image(b"".join(download.streaming_content), (220, 5, 5)) == predicted.context["prediction"][0][0]
    assert alice.get(reverse("modellab:experiment_heatmap", args=[run.pk, 0, "predicted"])).status_code == 200
    heatmap = predicted.context["prediction_heatmaps"][0]
    assert alice.get(heatmap.url).status_code == 200
    assert f"lab/runs/{run.pk}/uploads/{hashlib.sha256(png_bytes((220, 5, 5))).hexdigest()}.png" in s3_server.keys(s3_media)
    assert files_in(settings.MEDIA_ROOT) == []
