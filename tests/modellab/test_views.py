"""Views of the lab: sign-in, ownership, the submit and upload forms, the live trace, results, images, predictions."""

import io
import re
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from courses.content import load_lesson_file
from modellab import engine
from modellab.models import Dataset, EpochRecord, Experiment, LabPreset
from modellab.services.experiments import experiment_submit
from tests.conftest import SEED_LESSON
from tests.modellab.conftest import colour_zip, make_zip, png_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


def make_experiment(owner, dataset, **fields):
    defaults = dict(backbone="tiny", strategy="features", epochs=3, lr=0.01, batch_size=8, status=S.QUEUED)
    defaults.update(fields)
    return Experiment.objects.create(owner=owner, dataset=dataset, **defaults)


def test_lab_needs_sign_in(client):
    response = client.get(reverse("modellab:new"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_users_experiment_is_404(client, other_user, user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset)
    client.force_login(other_user)
    for name in ("modellab:experiment", "modellab:experiment_trace"):
        assert client.get(reverse(name, args=[exp.pk])).status_code == 404
    assert client.post(reverse("modellab:experiment_cancel", args=[exp.pk])).status_code == 404
    assert client.get(reverse("modellab:experiment_image", args=[exp.pk, 0])).status_code == 404
    assert client.get(reverse("modellab:dataset", args=[tiny_dataset.pk])).status_code == 404
    assert exp.pk not in [e.pk for e in client.get(reverse("modellab:home")).context["experiments"]]


def test_staff_see_everyones_experiments(client, staff_user, user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset)
    client.force_login(staff_user)
    assert client.get(reverse("modellab:experiment", args=[exp.pk])).status_code == 200
    assert exp in client.get(reverse("modellab:home")).context["experiments"]


def test_new_form_lists_unavailable_backbones_disabled_with_reason(alice):
    fake = [
        engine.BackboneInfo("tiny", "Tiny", 32, (0.5,) * 3, (0.5,) * 3, 64, "none", True, ""),
        engine.BackboneInfo(
            "resnet18", "ResNet-18", 224, (0.5,) * 3, (0.5,) * 3, 512, "hub", False, "Weights missing: fetch them."
        ),
    ]
    with mock.patch.object(engine, "list_backbones", return_value=fake):
        html = alice.get(reverse("modellab:new") + "?lesson=why-pretrained").content.decode()
    assert 'value="resnet18" disabled' in html and "ResNet-18: its pre-trained weights are not available on this site" in html
    assert "Weights missing: fetch them." not in html, "what to do is for the admin's Lab status page"
    assert "CIFAR-10 is not available on this site." in html  # the built-in that is unavailable here
    assert 'name="lesson" value="why-pretrained"' in html
    assert 'value="compare"' in html


def test_the_form_opens_on_the_lessons_quick_settings(alice):
    """No preset named: the first lesson's first run or comparison preset, as its YAML says (digits 0, 1, 2 at 64 px)."""
    load_lesson_file(SEED_LESSON)
    for url in (reverse("modellab:new"), reverse("modellab:new") + "?lesson=why-pretrained-models-save-time"):
        initial = alice.get(url).context["form"].initial
        assert (initial["dataset"], initial["image_size"], initial["epochs"]) == ("builtin:digits-3", 64, 5), url
    assert "lesson" not in alice.get(reverse("modellab:new")).context["form"].initial  # its settings, not the lesson
    LabPreset.objects.filter(key="ready-made").update(image_size=96, epochs=3)
    html = alice.get(reverse("modellab:new")).content.decode()
    assert 'name="image_size" value="96"' in html and 'name="epochs" value="3"' in html
    assert 'value="builtin:digits-3" checked' in html


def post_new(client, dataset_value, **overrides):
    data = {
        "dataset": dataset_value,
        "backbone": "tiny",
        "strategy": "features",
        "epochs": 2,
        "lr": 0.01,
        "batch_size": 8,
        "action": "run",
    }
    data.update(overrides)
    return client.post(reverse("modellab:new"), data)


def test_submit_creates_and_queues_on_commit(alice, user, tiny_dataset, delay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_new(alice, f"upload:{tiny_dataset.pk}")
    exp = Experiment.objects.get()
    assert response.status_code == 302 and response["Location"] == exp.get_absolute_url()
    assert exp.owner == user and exp.status == S.QUEUED
    delay.assert_called_once_with(exp.pk)


def test_compare_redirects_to_the_overlay(alice, tiny_dataset, delay, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_new(alice, "builtin:digits-3", action="compare")
    a, b = Experiment.objects.order_by("pk")
    assert {a.strategy, b.strategy} == {"features", "scratch"} and a.dataset.kind == Dataset.Kind.BUILTIN
    assert response["Location"] == f"{reverse('modellab:compare')}?ids={a.pk}&ids={b.pk}"
    page = alice.get(response["Location"])
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.content.decode()


def test_limits_give_clear_messages_at_submit(alice, tiny_dataset, delay, settings):
    settings.LAB_MAX_EPOCHS = 4
    response = post_new(alice, f"upload:{tiny_dataset.pk}", epochs=5)
    assert response.status_code == 400
    assert response.context["form"].has_error("epochs", code="too_many_epochs")
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 1
    response = post_new(alice, f"upload:{tiny_dataset.pk}", action="compare")
    assert response.status_code == 400
    assert response.context["form"].has_error("__all__", code="too_many_runs")
    assert "the limit is 1 at once" in response.content.decode()
    assert Experiment.objects.count() == 0


def test_unavailable_cifar_cannot_be_chosen(alice, delay):
    response = post_new(alice, "builtin:cifar-cat-dog-bird")
    assert response.status_code == 400 and response.context["form"].has_error("dataset", code="dataset_unavailable")


def test_other_users_upload_cannot_be_submitted(client, other_user, tiny_dataset, delay):
    client.force_login(other_user)
    response = post_new(client, f"upload:{tiny_dataset.pk}")
    assert response.status_code == 400 and Experiment.objects.count() == 0


def test_upload_shows_the_validation_report(alice, user):
    upload = SimpleUploadedFile("colours.zip", colour_zip(), content_type="application/zip")
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": upload, "name": "Colours"}, follow=True)
    dataset = Dataset.objects.get(owner=user)
    assert dataset.report["counts"] == {"blue": 6, "red": 6}
    html = response.content.decode()
    assert "Validation report: Colours" in html and "red/notes.txt" in html and "not_image" in html
    assert f'value="upload:{dataset.pk}" checked' in html


def test_upload_says_files_were_skipped_and_its_report_and_errors_come_first(alice, user):
    """The message counts the skipped files; the report, or a refusal, stands above the long run form."""
    upload = SimpleUploadedFile("colours.zip", colour_zip(), content_type="application/zip")
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": upload, "name": "Colours"}, follow=True)
    html = response.content.decode()
    assert "Dataset &#x27;Colours&#x27; is ready: 12 images; 1 file skipped, listed in the report." in html
    assert "1 file skipped</strong> (listed below)" in html
    assert html.index("Validation report: Colours") < html.index('name="backbone"')
    bad = SimpleUploadedFile("evil.zip", make_zip({"../escape/a.png": png_bytes((1, 2, 3))}))
    html = alice.post(reverse("modellab:dataset_upload"), {"archive": bad}).content.decode()
    assert html.index('<div class="lab-errors" role="alert">') < html.index('name="backbone"')
    plain = alice.get(reverse("modellab:new")).content.decode()  # nothing uploaded: the run form first
    assert plain.index('name="backbone"') < plain.index('id="upload-heading"')


def test_upload_errors_are_shown_with_their_code(alice, settings):
    bad = SimpleUploadedFile("evil.zip", make_zip({"../escape/a.png": png_bytes((1, 2, 3)), "x/b.png": png_bytes((3, 2, 1))}))
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": bad})
    assert response.status_code == 400 and response.context["upload_form"].has_error("archive", code="path_traversal")
    settings.LAB_MAX_UPLOAD_MB = 0
    big = SimpleUploadedFile("big.zip", colour_zip())
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": big})
    assert response.context["upload_form"].has_error("archive", code="upload_too_large")
    assert Dataset.objects.count() == 0


def test_upload_over_the_image_limit_is_refused(alice, settings):
    settings.LAB_MAX_IMAGES_PER_DATASET = 5
    response = alice.post(reverse("modellab:dataset_upload"), {"archive": SimpleUploadedFile("c.zip", colour_zip())})
    assert response.context["upload_form"].has_error("archive", code="too_many_images")
    assert Dataset.objects.count() == 0


def test_queued_page_shows_position_and_polls(alice, user, tiny_dataset):
    first = make_experiment(user, tiny_dataset)
    second = make_experiment(user, tiny_dataset)
    for e in (first, second):
        Experiment.objects.filter(pk=e.pk).update(queued_at=e.created_at)
    html = alice.get(second.get_absolute_url()).content.decode()
    assert "position 2 in the queue" in html
    assert 'hx-trigger="every 2s"' in html and "vendor/htmx.min.js" in html
    assert '<noscript><meta http-equiv="refresh"' in html


def test_trace_partial_grows_and_stops_polling_when_done(alice, user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset, status=S.RUNNING, attempts=1)
    url = reverse("modellab:experiment_trace", args=[exp.pk])
    EpochRecord.objects.create(
        experiment=exp, epoch=1, train_loss=1.0, train_accuracy=0.4, val_loss=1.1, val_accuracy=0.35, seconds=1
    )
    html = alice.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert html.count('class="lab-epoch-row"') == 1 and "hx-trigger" in html and "<svg" in html
    EpochRecord.objects.create(
        experiment=exp, epoch=2, train_loss=0.5, train_accuracy=0.8, val_loss=0.6, val_accuracy=0.75, seconds=1
    )
    Experiment.objects.filter(pk=exp.pk).update(status=S.SUCCEEDED)
    response = alice.get(url, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.count('class="lab-epoch-row"') == 2 and "hx-trigger" not in html
    assert response["HX-Refresh"] == "true"


def test_failed_run_shows_its_reason(alice, user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset, status=S.FAILED, failure_reason="Stopped at the time limit: 60 s.")
    html = alice.get(exp.get_absolute_url()).content.decode()
    assert "Stopped at the time limit: 60 s." in html and "hx-trigger" not in html


def test_cancel_button_posts_and_cancels(alice, user, tiny_dataset):
    exp = make_experiment(user, tiny_dataset)
    assert alice.get(reverse("modellab:experiment_cancel", args=[exp.pk])).status_code == 405
    response = alice.post(reverse("modellab:experiment_cancel", args=[exp.pk]))
    assert response.status_code == 302
    exp.refresh_from_db()
    assert exp.status == S.CANCELLED


@pytest.fixture
def finished(user, tiny_dataset, settings, django_capture_on_commit_callbacks):
    """A run that really went through the task (eager): this test is about the views."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            (exp,) = experiment_submit(
                owner=user, dataset=tiny_dataset, backbone="tiny", strategy="scratch", epochs=2, lr=0.01, batch_size=8
            )
    finally:
        app.conf.task_always_eager = False
    exp.refresh_from_db()
    assert exp.status == S.SUCCEEDED
    return exp


def test_results_page_shows_metrics_matrix_gallery_and_shapes(alice, finished):
    response = alice.get(finished.get_absolute_url())
    html = response.content.decode()
    assert "Per-class accuracy" in html and "Confusion matrix" in html
    assert "Prediction trace - the real shapes" in html and "3, 32, 32]" in html
    gallery = response.context["gallery"]
    assert gallery and [g.correct for g in gallery] == sorted(g.correct for g in gallery)  # misclassified first
    assert reverse("modellab:experiment_image", args=[finished.pk, gallery[0].index]) in html
    assert html.count('class="lab-epoch-row"') == 2


def test_results_page_says_why_features_were_not_extracted_with_onnx_runtime(alice, user, tiny_dataset, delay, monkeypatch):
    """A CPU run whose ONNX export fails still succeeds, and its page tells the learner PyTorch extracted, and why."""
    from modellab.engine import runtime_onnx
    from modellab.services.runs import experiment_run

    def unsupported(module, sample):
        raise RuntimeError("operator not supported")

    monkeypatch.setattr(runtime_onnx, "_export", unsupported)
    (exp,) = experiment_submit(
        owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=1, lr=0.01, batch_size=8
    )
    assert experiment_run(experiment_id=exp.pk, worker_hostname="w1@test", worker_pid=1) == S.SUCCEEDED
    html = alice.get(exp.get_absolute_url()).content.decode()
    assert (
        "Features were extracted with PyTorch, not ONNX Runtime: the export of tiny to ONNX is not supported (RuntimeError)."
        in html
    )


def test_gallery_image_is_a_png_with_nosniff(alice, finished, client, other_user):
    response = alice.get(reverse("modellab:experiment_image", args=[finished.pk, 0]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(response.content)).format == "PNG"
    assert alice.get(reverse("modellab:experiment_image", args=[finished.pk, 10_000])).status_code == 404


def test_gallery_image_refuses_paths_outside_the_dataset(alice, finished):
    results = dict(finished.results)
    results["predictions"] = [dict(results["predictions"][0], path="../../../../etc/passwd")]
    Experiment.objects.filter(pk=finished.pk).update(results=results)
    assert alice.get(reverse("modellab:experiment_image", args=[finished.pk, 0])).status_code == 404


def test_predict_an_uploaded_image(alice, finished):
    upload = SimpleUploadedFile("mine.png", png_bytes((255, 255, 255)), content_type="image/png")
    response = alice.post(reverse("modellab:experiment_predict", args=[finished.pk]), {"image": upload})
    assert response.status_code == 200
    prediction = response.context["prediction"]
    assert len(prediction) == 3 and {c for c, _ in prediction} == {"0", "1", "2"}
    assert abs(sum(p for _, p in prediction) - 1.0) < 1e-3
    assert "Prediction: <strong>" in response.content.decode()


def test_predict_rejects_a_non_image(alice, finished):
    upload = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = alice.post(reverse("modellab:experiment_predict", args=[finished.pk]), {"image": upload})
    assert response.status_code == 400 and response.context["predict_form"].has_error("image", code="bad_image")


def test_predict_says_in_words_what_is_wrong_with_the_file(alice, finished):
    """A text file named .png and a cut-off PNG: the message names the file and the problem, never an exception class."""
    cut = png_bytes((255, 255, 255))[:60]
    for name, data, problem in (
        ("notes.png", b"milk, eggs\n", "its contents are not a JPEG, PNG, GIF, BMP, WebP or TIFF image, whatever its name says"),
        ("cut.png", cut, "the image is damaged or cut short"),
    ):
        upload = SimpleUploadedFile(name, data, content_type="image/png")
        response = alice.post(reverse("modellab:experiment_predict", args=[finished.pk]), {"image": upload})
        assert response.status_code == 400 and response.context["predict_form"].has_error("image", code="bad_image")
        assert response.context["predict_form"].errors["image"] == [f"“{name}” cannot be classified: {problem}."]
        assert "Error" not in response.context["predict_form"].errors["image"][0]


def test_epochs_on_cached_features_show_their_milliseconds(alice, user, tiny_dataset):
    """A head trained on cached features takes milliseconds an epoch: the table says so, not "0.0"."""
    exp = make_experiment(user, tiny_dataset, status=S.SUCCEEDED)
    for epoch, seconds in ((1, 0.0123), (2, 0.0004), (3, 2.5)):
        EpochRecord.objects.create(
            experiment=exp, epoch=epoch, train_loss=1, train_accuracy=0.5, val_loss=1, val_accuracy=0.5, seconds=seconds
        )
    html = alice.get(reverse("modellab:experiment", args=[exp.pk])).content.decode()
    times = re.findall(r'<td class="lab-epoch-time">([^<]*)</td>', html)
    assert times == ["12 ms", "under 1 ms", "2.5 s"]


def test_overlay_of_two_experiments(alice, user, tiny_dataset):
    a = make_experiment(user, tiny_dataset, status=S.SUCCEEDED)
    b = make_experiment(user, tiny_dataset, status=S.SUCCEEDED, strategy="scratch")
    for exp, acc in ((a, 0.9), (b, 0.4)):
        for epoch in (1, 2):
            EpochRecord.objects.create(
                experiment=exp, epoch=epoch, train_loss=1, train_accuracy=acc, val_loss=1, val_accuracy=acc * epoch / 2, seconds=1
            )
    html = alice.get(f"{reverse('modellab:compare')}?ids={a.pk}&ids={b.pk}").content.decode()
    assert html.count('class="chart"') == 2 and f'data-label="{a.label}"' in html and f'data-label="{b.label}"' in html
    assert "hx-trigger" not in html


def test_overlay_of_another_users_experiment_is_404(client, other_user, user, tiny_dataset):
    a = make_experiment(user, tiny_dataset)
    b = make_experiment(other_user, tiny_dataset)
    client.force_login(other_user)
    assert client.get(f"{reverse('modellab:compare')}?ids={a.pk}&ids={b.pk}").status_code == 404


def test_lesson_partial_links_to_the_comparison_and_shows_the_real_trace(rf, user, other_user, tiny_dataset):
    """The lesson's training-trace section: a link always; the user's own latest real comparison once one ran."""
    import uuid
    from types import SimpleNamespace

    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string

    lesson = SimpleNamespace(slug="why-pretrained")

    def render(u):
        request = rf.get("/")
        request.user = u
        return render_to_string("courses/_lesson_lab_trace.html", {"lesson": lesson}, request=request)

    html = render(AnonymousUser())
    assert f"{reverse('modellab:new')}?lesson=why-pretrained" in html and "<svg" not in html
    group = uuid.uuid4()
    for strategy, acc in (("features", 0.9), ("scratch", 0.3)):
        exp = make_experiment(
            user,
            tiny_dataset,
            status=S.SUCCEEDED,
            strategy=strategy,
            comparison_group=group,
            lesson_slug="why-pretrained",
            finished_at=timezone.now(),
        )
        EpochRecord.objects.create(
            experiment=exp, epoch=1, train_loss=1, train_accuracy=acc, val_loss=1, val_accuracy=acc, seconds=1
        )
    html = render(user)
    assert "<svg" in html and "0.900" in html and "0.300" in html
    assert "<svg" not in render(other_user)
