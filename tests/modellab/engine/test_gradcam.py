"""Grad-CAM against a case computed by hand, the words of the hottest region, and the heatmap images of a real tiny run."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from modellab.engine import RunConfig, run
from modellab.engine.gradcam import DISPLAY, explain_image, explain_predictions, grad_cam, heatmap_png, hottest_region, upscale


class HandNet(nn.Module):
    """One 1x1 convolution (weights +1 and -1) and a ReLU, then the pooled 2-vector to a 2-class linear head."""

    def __init__(self):
        super().__init__()
        conv = nn.Conv2d(1, 2, 1, bias=False)
        conv.weight.data = torch.tensor([1.0, -1.0]).view(2, 1, 1, 1)
        self.backbone = nn.Sequential(conv, nn.ReLU())
        self.head = nn.Linear(2, 2, bias=False)
        self.head.weight.data = torch.tensor([[1.0, 0.5], [-1.0, 2.0]])


def test_grad_cam_matches_the_hand_computed_maps():
    """x = [[1, -2], [3, 0]] gives A0 = [[1, 0], [3, 0]] and A1 = [[0, 2], [0, 0]]; the gradient of logit c
    with respect to A_k is W[c, k] / 4 at each of the 4 positions, so alpha = W[c] / 4:
    class 0: ReLU(0.25 A0 + 0.125 A1) = [[0.25, 0.25], [0.75, 0]] -> / 0.75;
    class 1: ReLU(-0.25 A0 + 0.5 A1) = [[0, 1], [0, 0]] (the negative parts cut) -> / 1."""
    x = torch.tensor([[1.0, -2.0], [3.0, 0.0]]).view(1, 1, 2, 2).repeat(2, 1, 1, 1)
    cams = grad_cam(HandNet(), x, [0, 1])
    assert torch.allclose(cams[0], torch.tensor([[1 / 3, 1 / 3], [1.0, 0.0]]))
    assert torch.allclose(cams[1], torch.tensor([[0.0, 1.0], [0.0, 0.0]]))
    assert hottest_region(cams[0].numpy()) == "lower left"
    assert hottest_region(upscale(cams[1], 96)) == "upper right"


def test_a_map_with_no_positive_evidence_stays_zero():
    """A class whose weighted maps are all negative gets an all-zero map, not a division by zero."""
    net = HandNet()
    net.head.weight.data = torch.tensor([[-1.0, -1.0], [1.0, 1.0]])
    cam = grad_cam(net, torch.ones(1, 1, 2, 2), [0])[0]
    assert torch.equal(cam, torch.zeros(2, 2))


@pytest.mark.parametrize(
    "cell,words",
    [((0, 0), "upper left"), ((4, 4), "centre"), ((0, 8), "upper right"), ((8, 4), "lower centre"), ((4, 0), "centre left")],
)
def test_hottest_region_names_the_third_of_the_peak(cell, words):
    heat = np.zeros((9, 9), dtype=np.float32)
    heat[cell] = 1.0
    assert hottest_region(heat) == words


def test_the_hot_region_is_outlined_so_colour_is_not_the_only_carrier():
    """The heatmap image holds a white outline (with black beside it) around where the map is hottest, and only there."""
    pixels = np.full((32, 32, 3), 128, dtype=np.uint8)
    heat = np.zeros((DISPLAY, DISPLAY), dtype=np.float32)
    heat[10:40, 80:120] = 1.0  # upper right
    img = np.asarray(Image.open(io.BytesIO(heatmap_png(pixels, heat))).convert("RGB"))
    white = np.all(img == 255, axis=2)
    ys, xs = np.nonzero(white)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10, 39, 80, 119)
    assert np.all(img[25, 79] == 0)  # the black line just outside the white one
    assert not white[60:, :].any() and hottest_region(heat) == "upper right"


def test_heatmaps_of_a_trained_tiny_run(tmp_path, toy_dataset):
    """explain_predictions writes the predicted class's heatmap of each image and the true class's where they differ."""
    cfg = RunConfig(
        dataset_dir=str(toy_dataset),
        cache_dir=str(tmp_path / "cache"),
        output_dir=str(tmp_path / "out"),
        backbone="tiny",
        strategy="scratch",
        epochs=1,
        lr=1e-2,
        batch_size=8,
        device="cpu",
    )
    result = run(cfg)
    items = [(i, p["path"], p["true"], p["predicted"]) for i, p in enumerate(result.predictions[:4])]
    items.append((4, items[0][1], "green" if items[0][2] != "green" else "red", items[0][2]))  # one that "differs"
    found = explain_predictions(result.model_path, toy_dataset, items, tmp_path / "out" / "gradcam")
    assert set(found) == {"0", "1", "2", "3", "4"}
    assert found["4"]["true"]["class"] == items[4][2] and found["4"]["predicted"]["class"] == items[4][3]
    for index, entry in found.items():
        assert (tmp_path / "out" / "gradcam" / f"{index}-predicted.png").is_file()
        assert ("true" in entry) == (tmp_path / "out" / "gradcam" / f"{index}-true.png").is_file()
        assert entry["predicted"]["hottest"] and 0 <= entry["predicted"]["hot_percent"] <= 100
    with Image.open(tmp_path / "out" / "gradcam" / "0-predicted.png") as im:
        assert im.size == (DISPLAY, DISPLAY)
    png, described = explain_image(result.model_path, Image.open(toy_dataset / items[0][1]), items[0][3])
    assert png.startswith(b"\x89PNG") and described == found["0"]["predicted"]
