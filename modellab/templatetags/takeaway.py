"""Template tags of what a run gives the learner to take away and to look at: the ONNX snippet and the Grad-CAM heatmaps."""

from django import template

from common.onnx_contract import SNIPPET
from modellab import heatmaps

register = template.Library()


@register.simple_tag
def onnx_snippet() -> str:
    """The Python that classifies an image with the downloaded model.onnx (tested as it stands)."""
    return SNIPPET


@register.simple_tag
def experiment_heatmaps(experiment, index):
    """The heatmaps (modellab.heatmaps.Heatmap) the run has of its validation image ``index``."""
    return heatmaps.heatmaps_of(experiment, index)


@register.simple_tag
def compare_heatmaps(experiments):
    """The comparison's shared validation images, each with every arm's prediction and heatmaps."""
    return heatmaps.compare_rows(list(experiments))
