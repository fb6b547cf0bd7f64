"""The heatmaps' words and which images get them (modellab.heatmaps), without running a network."""

from modellab.heatmaps import COMPARE_IMAGES, GALLERY_LIMIT, alt_text, compare_indices, gallery_order, heatmap_indices


def pred(true, predicted, p):
    return {"path": f"{true}/x.png", "true": true, "predicted": predicted, "top_k": [[predicted, p]]}


def test_gallery_order_is_misclassified_first_then_least_confident_first():
    preds = [pred("a", "a", 0.9), pred("a", "b", 0.8), pred("b", "b", 0.6), pred("b", "a", 0.55)]
    assert gallery_order(preds) == [3, 1, 2, 0]


def test_the_comparison_takes_images_from_each_class_in_turn():
    preds = [pred("a", "a", 0.9)] * 5 + [pred("b", "b", 0.9)] * 2 + [pred("c", "c", 0.9)] * 5
    assert compare_indices(preds) == [0, 5, 7, 1, 6, 8, 2, 9][:COMPARE_IMAGES]
    assert compare_indices([]) == []


def test_heatmaps_cover_the_gallery_and_the_images_every_arm_shares():
    preds = [pred("a", "a", 0.9)] * 70 + [pred("a", "b", 0.8)] + [pred("b", "b", 0.99)] * 60
    indices = heatmap_indices(preds)
    assert set(compare_indices(preds)) <= set(indices) and 70 in indices and 71 in indices
    assert len(indices) <= GALLERY_LIMIT + COMPARE_IMAGES


def test_alt_text_says_which_class_where_it_is_hottest_and_how_much_is_outlined():
    assert alt_text({"class": "cat", "hottest": "upper left", "hot_percent": 12}, "predicted") == (
        "Grad-CAM heatmap for the predicted class, cat: hottest in the upper left; the outlined region, "
        "12% of the image, is where it is at least 80% of its peak."
    )
    assert "the true class, dog: no region" in alt_text({"class": "dog", "hottest": "", "hot_percent": 0}, "true")
