"""Views of data-size sweeps and of a lesson's presets: parse, call one service or selector, render."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.ratelimit import rate_limit
from modellab import selectors
from modellab.arms import arm_label, difference_sentences, shared_sentence
from modellab.datasize import sweep_chart, sweep_rows
from modellab.eta_selectors import queue_eta
from modellab.models import LabPreset
from modellab.services.presets import preset_submit
from modellab.services.size_sweep import size_sweep_cancel as cancel_sweep
from modellab.views import POLL_SECONDS


def _sweep_context(request, group: uuid.UUID) -> dict:
    runs = selectors.size_sweep_get_for_user(user=request.user, group=group)
    points = selectors.sweep_points(experiments=runs)
    first = runs[0]
    arms = [selectors.experiment_arm(experiment=e) for e in runs]
    label = next((arm_label(e.strategy, e.starts_pretrained) for e in runs if e.strategy != e.Strategy.SCRATCH), "")
    return {
        "label": label,
        "shared": shared_sentence(arms),
        "differences": difference_sentences(arms),
        "group": group,
        "runs": runs,
        "first": first,
        "sizes": len({e.train_per_class for e in runs}),
        "rows": sweep_rows(points),
        "chart": sweep_chart(points, chart_id="sweep-chart", label=label),
        "polling": any(e.is_active for e in runs),
        "etas": queue_eta() if any(e.is_active for e in runs) else {},
        "finished": sum(e.is_done for e in runs),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
def size_sweep(request, group: uuid.UUID):
    """A data-size sweep: its runs with their live progress, and accuracy against images per class."""
    return render(request, "modellab/size_sweep.html", _sweep_context(request, group))


@login_required
def size_sweep_trace(request, group: uuid.UUID):
    """The live part of the sweep page; htmx polls it while a run is queued or running, and the
    page reloads once when the last run ends (so it stops polling and shows the cancel button gone)."""
    context = _sweep_context(request, group)
    response = render(request, "modellab/_size_sweep.html", context)
    if request.headers.get("HX-Request") and not context["polling"]:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def size_sweep_cancel(request, group: uuid.UUID):
    """Cancel every run of the sweep at once (queued: now; running: at the next batch)."""
    selectors.size_sweep_get_for_user(user=request.user, group=group)  # 404 unless the user may see it
    try:
        stopped = cancel_sweep(group=group)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, f"Cancelling the sweep: {stopped} run{'s' if stopped != 1 else ''} stopped or stopping.")
    return redirect("modellab:size_sweep", group=group)


@login_required
@require_POST
@rate_limit("lab_submit")
def preset_run(request, pk: int):
    """Submit a lesson's preset as it is, in one click, and open what it queued."""
    preset = get_object_or_404(LabPreset.objects.select_related("lesson"), pk=pk, lesson__published=True)
    try:
        created = preset_submit(owner=request.user, preset=preset)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{reverse('modellab:new')}?lesson={preset.lesson.slug}&preset={preset.key}")
    if created[0].sweep_group:
        messages.success(request, f"Queued {preset.title}: {len(created)} runs.")
        return redirect("modellab:size_sweep", group=created[0].sweep_group)
    messages.success(request, f"Queued {preset.title}.")
    if len(created) == 1:
        return redirect(created[0])
    return redirect(f"{reverse('modellab:compare')}?{'&'.join(f'ids={e.pk}' for e in created)}")
