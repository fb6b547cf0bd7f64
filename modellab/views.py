"""Views of the lab: parse, call one service or selector, render."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, TooManyFieldsSent, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.ratelimit import rate_limit
from modellab import selectors, storage
from modellab.dataset_ref import UPLOAD, DatasetRef
from modellab.forms import DatasetUploadForm, ExperimentForm, PredictForm
from modellab.images import thumbnail_png
from modellab.eta_selectors import experiment_eta, queue_eta
from modellab.limits import lab_limits
from modellab.models import Dataset, Experiment, LabPreset
from modellab.services.datasets import dataset_create_from_upload
from modellab.services.experiments import experiment_cancel as cancel_experiment
from modellab.services.experiments import experiment_submit
from modellab.services.explain import experiment_predict_explained
from modellab.services.presets import preset_form_initial
from modellab.services.size_sweep import size_sweep_submit
from modellab.arms import difference_sentences, effect_sentences, headline_pair, shared_sentence
from modellab.timing import definition, elapsed_chart, headline
from modellab.trace import experiment_chart, overlay_chart, trace_rows

POLL_SECONDS = 2
MAX_COMPARED = 6  # runs on one comparison page; a longer list shows its first six


@login_required
def home(request):
    experiments = selectors.experiments_visible_to(request.user)[:100]
    datasets = selectors.datasets_visible_to(request.user).filter(kind=Dataset.Kind.UPLOAD)
    return render(request, "modellab/home.html", {"experiments": experiments, "datasets": datasets})


def _new_page(request, *, form, upload_form, status=200, report_dataset=None, preset=None):
    # an upload's report, or why it was refused, goes first: the learner who just uploaded looks there
    upload_first = report_dataset is not None or (upload_form.is_bound and bool(upload_form.errors))
    context = {
        "form": form,
        "upload_form": upload_form,
        "limits": lab_limits(),
        "report_dataset": report_dataset,
        "preset": preset,
        "upload_first": upload_first,
    }
    return render(request, "modellab/new.html", context, status=status)


def _preset(request) -> LabPreset | None:
    """The lesson preset ``?lesson=<slug>&preset=<key>`` names, or None."""
    lesson, key = request.GET.get("lesson"), request.GET.get("preset")
    if not lesson or not key:
        return None
    return LabPreset.objects.select_related("lesson").filter(lesson__slug=lesson, key=key).first()


def _initial(request, preset: LabPreset | None = None) -> dict:
    """The form's first values: the named preset's; else a lesson's quick settings (its first preset that
    is not a sweep, lab_default_preset) with the query's choices on top."""
    initial = {
        "dataset": str(DatasetRef.builtin("digits")),
        "backbone": "efficientnet_lite0",
        "strategy": Experiment.Strategy.FEATURES,
        "epochs": 5,
        "lr": 1e-3,
        "batch_size": 32,
    }
    if preset is not None:
        return initial | preset_form_initial(preset)
    default = selectors.lab_default_preset(lesson_slug=request.GET.get("lesson", ""))
    if default is not None:  # its settings, not its name: the run is not tied to that lesson
        initial |= {k: v for k, v in preset_form_initial(default).items() if k not in ("lesson", "sweep_sizes")}
    if request.GET.get("lesson"):
        initial["lesson"] = request.GET["lesson"]
    if request.GET.get("dataset"):
        initial["dataset"] = request.GET["dataset"]
    for key in ("backbone", "strategy", "epochs"):
        if request.GET.get(key):
            initial[key] = request.GET[key]
    return initial


def _report_dataset(request) -> Dataset | None:
    """The upload ``?dataset=`` names, whose validation report the page shows (None for anything else)."""
    try:
        ref = DatasetRef.parse(request.GET.get("dataset", ""))
    except ValidationError:
        return None
    if ref.kind != UPLOAD:
        return None
    return selectors.upload_visible_to(user=request.user, pk=ref.upload_pk)


@login_required
@rate_limit("lab_submit")
def new(request):
    """The submit form; "Compare" submits pre-trained and from-scratch runs with the same settings,
    "Compare without and with augmentation" the chosen strategy twice, "Data-size sweep" both strategies at each
    of several training-set sizes."""
    if request.method != "POST":
        preset = _preset(request)
        form = ExperimentForm(user=request.user, initial=_initial(request, preset))
        return _new_page(
            request, form=form, upload_form=DatasetUploadForm(), report_dataset=_report_dataset(request), preset=preset
        )
    form = ExperimentForm(request.POST, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        common = dict(
            owner=request.user,
            dataset=data["dataset"],
            backbone=data["backbone"],
            epochs=data["epochs"],
            lr=data["lr"],
            batch_size=data["batch_size"],
            image_size=data.get("image_size"),
            augment=data["augment"],
            lesson_slug=data.get("lesson") or "",
        )
        action = request.POST.get("action")
        try:
            if action == "sweep":
                created = size_sweep_submit(**common, sizes=data["sweep_sizes"])
            else:
                created = experiment_submit(
                    **common,
                    strategy=data["strategy"],
                    train_per_class=data.get("train_per_class"),
                    compare=action == "compare",
                    frozen_arm=data["frozen_arm"],
                    augment_compare=action == "compare_augment",
                )
        except ValidationError as exc:
            field = (getattr(exc, "params", None) or {}).get("field")
            form.add_error(field if field in form.fields else None, exc)
        else:
            if created[0].sweep_group:
                messages.success(request, f"Queued a data-size sweep: {len(created)} runs.")
                return redirect("modellab:size_sweep", group=created[0].sweep_group)
            if len(created) > 1:
                messages.success(request, f"Queued a comparison: {', '.join(e.label for e in created)}.")
                return redirect(f"{reverse('modellab:compare')}?{'&'.join(f'ids={e.pk}' for e in created)}")
            messages.success(request, f"Queued {created[0].label}.")
            return redirect(created[0])
    return _new_page(request, form=form, upload_form=DatasetUploadForm(), status=400)


@login_required
@require_POST
@rate_limit("lab_submit")
def dataset_upload(request):
    upload_form = DatasetUploadForm(request.POST, request.FILES)
    if upload_form.is_valid():
        try:
            dataset = dataset_create_from_upload(
                owner=request.user, uploaded_file=upload_form.cleaned_data["archive"], name=upload_form.cleaned_data["name"]
            )
        except ValidationError as exc:
            upload_form.add_error("archive", exc)
        else:
            skipped = len(dataset.report.get("skipped") or [])
            note = f"; {skipped} file{'s' if skipped != 1 else ''} skipped, listed in the report" if skipped else ""
            messages.success(request, f"Dataset {dataset.name!r} is ready: {dataset.total_images} images{note}.")
            return redirect(f"{reverse('modellab:new')}?dataset={DatasetRef.of(dataset)}")
    form = ExperimentForm(user=request.user, initial=_initial(request))
    return _new_page(request, form=form, upload_form=upload_form, status=400)


@login_required
def dataset_detail(request, pk: int):
    dataset = selectors.dataset_get_for_user(user=request.user, pk=pk)
    return render(request, "modellab/dataset_detail.html", {"dataset": dataset, "dataset_ref": DatasetRef.of(dataset)})


def _trace_context(experiment: Experiment, *, user) -> dict:
    records = selectors.experiment_epochs(experiment=experiment)
    return {
        "experiment": experiment,
        "rows": trace_rows(records),
        "chart": experiment_chart(records, title=f"Experiment {experiment.label}: loss and accuracy by epoch"),
        "queue_position": selectors.experiment_queue_position(experiment=experiment),
        "running_count": selectors.experiments_running_count() if experiment.status == Experiment.Status.QUEUED else None,
        "eta": experiment_eta(experiment=experiment),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def experiment_detail(request, pk: int):
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    return _render_experiment(request, experiment)


def _render_experiment(request, experiment, *, predict_form=None, prediction=None, prediction_heatmap=None, status=200):
    context = _trace_context(experiment, user=request.user)
    results = experiment.results or {}
    class_names = results.get("class_names") or []
    context.update(
        {
            "group": selectors.experiment_group(experiment=experiment, user=request.user),
            "results": results,
            "per_class": sorted((results.get("per_class_accuracy") or {}).items()),
            # results without a confusion matrix (recorded before it was kept) show no rows rather than fail
            "confusion": list(zip(class_names, results.get("confusion_matrix") or [], strict=False)),
            "class_names": class_names,
            "gallery": selectors.experiment_gallery(experiment=experiment) if experiment.status == "succeeded" else [],
            "lesson_shapes": selectors.experiment_lesson_shapes(experiment=experiment)
            if experiment.status == "succeeded"
            else None,
            "predict_form": predict_form or PredictForm(),
            "keep_models": settings.LAB_KEEP_MODELS_PER_LEARNER,
            "keep_days": settings.LAB_KEEP_MODELS_DAYS,
            "prediction": prediction,
            "prediction_heatmaps": [prediction_heatmap] if prediction_heatmap else [],
        }
    )
    return render(request, "modellab/experiment_detail.html", context, status=status)


@login_required
def experiment_trace(request, pk: int):
    """The live part of the experiment page; htmx polls it and reloads the page once the run ends."""
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    response = render(request, "modellab/_trace.html", _trace_context(experiment, user=request.user))
    if request.headers.get("HX-Request") and experiment.is_done:
        response["HX-Refresh"] = "true"  # show the results, rendered by the full page
    return response


@login_required
@require_POST
def experiment_cancel(request, pk: int):
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    try:
        cancel_experiment(experiment=experiment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, "Cancelled." if experiment.status == "cancelled" else "Stopping the run at the next batch.")
    return redirect(experiment)


@login_required
@require_POST
@rate_limit("lab_predict")
def experiment_predict(request, pk: int):
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    form = PredictForm(request.POST, request.FILES)
    prediction = heatmap = None
    if form.is_valid():
        try:
            prediction, heatmap = experiment_predict_explained(experiment=experiment, image_file=form.cleaned_data["image"])
        except ValidationError as exc:
            form.add_error("image", exc)
    status = 200 if prediction is not None else 400
    return _render_experiment(
        request, experiment, predict_form=form, prediction=prediction, prediction_heatmap=heatmap, status=status
    )


@login_required
def experiment_image(request, pk: int, index: int):
    """A validation image of the run, re-encoded as a PNG thumbnail: never the uploaded bytes, never HTML."""
    experiment = selectors.experiment_get_for_user(user=request.user, pk=pk)
    predictions = (experiment.results or {}).get("predictions") or []
    if not 0 <= index < len(predictions):
        raise Http404("No such image.")
    rel = PurePosixPath(predictions[index].get("path") or "")
    if not rel.parts or rel.is_absolute() or ".." in rel.parts:
        raise Http404("No such image.")
    try:
        # From the storage itself (a private bucket, or MEDIA_ROOT); StorageUnavailable is a 503 page.
        png = thumbnail_png(io.BytesIO(storage.read_bytes(f"{experiment.dataset.folder}/{rel.as_posix()}", "the image")))
    except (storage.StorageObjectMissing, OSError, ValueError):
        raise Http404("Image not readable.") from None
    response = HttpResponse(png, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="val-{index}.png"'
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _compare_context(request) -> dict:
    try:
        ids = [int(i) for i in request.GET.getlist("ids")][:MAX_COMPARED]
    except TooManyFieldsSent:
        raise BadRequest(f"A comparison shows at most {MAX_COMPARED} runs, and this address lists too many.") from None
    except ValueError:
        raise Http404("Bad experiment ids.") from None
    experiments = [selectors.experiment_get_for_user(user=request.user, pk=i) for i in ids]
    if len(experiments) < 2:
        raise Http404("Choose two or more experiments.")
    traces = [(e.label, selectors.experiment_epochs(experiment=e)) for e in experiments]
    timings = [selectors.run_timing(experiment=e, records=records) for e, (_, records) in zip(experiments, traces, strict=True)]
    arms = [selectors.experiment_arm(experiment=e) for e in experiments]
    pair = headline_pair(arms)
    line = headline(*(replace(timings[i], label=arms[i].label) for i in pair)) if pair else None
    return {
        "experiments": experiments,
        "title": " vs ".join(dict.fromkeys(a.label for a in arms)),
        "shared": shared_sentence(arms),
        "differences": difference_sentences(arms),
        "effects": effect_sentences(arms, timings),
        "timings": [(e, t, t.time_to(line.target) if line else None) for e, t in zip(experiments, timings, strict=True)],
        "headline": line,
        "time_definition": definition(arms[pair[0]].name) if pair else "",
        "elapsed_chart": elapsed_chart(timings, chart_id="overlay-elapsed"),
        "ids_query": "&".join(f"ids={e.pk}" for e in experiments),
        "accuracy_chart": overlay_chart(traces, metric="val_accuracy", chart_id="overlay-accuracy"),
        "loss_chart": overlay_chart(traces, metric="val_loss", chart_id="overlay-loss"),
        "traces": [(e, trace_rows(records)) for e, (_, records) in zip(experiments, traces, strict=True)],
        "polling": any(e.is_active for e in experiments),
        "etas": queue_eta() if any(e.is_active for e in experiments) else {},
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def compare(request):
    """Two or more experiments overlaid on one chart (``?ids=1&ids=2``)."""
    return render(request, "modellab/compare.html", _compare_context(request))


@login_required
def compare_trace(request):
    """The live part of the comparison page; htmx polls it while any run is queued or running.

    Every run's state (a queued run starting, one run ending while another still runs) is in
    this partial, so the swap shows it in place: a reload then would show the same page and
    cut short whatever the learner was doing (a click, a hover on the chart). The page
    reloads once, when the last run ends, so that it stops polling.
    """
    context = _compare_context(request)
    response = render(request, "modellab/_overlay.html", context)
    if request.headers.get("HX-Request") and not context["polling"]:
        response["HX-Refresh"] = "true"
    return response
