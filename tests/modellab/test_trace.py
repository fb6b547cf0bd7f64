"""The learner-facing reading of each epoch in the trace table (trace.observe): one test per branch."""

from dataclasses import dataclass

import pytest

from modellab.trace import observe, trace_rows


@dataclass(frozen=True)
class Epoch:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    train_accuracy: float = 0.5
    seconds: float = 1.0


def test_a_weak_first_epoch_says_the_head_starts_to_fit():
    assert observe(None, Epoch(1, 1.0, 1.0, 0.89)) == "First pass: the head starts to fit."


def test_a_first_epoch_at_ninety_percent_says_strong():
    assert observe(None, Epoch(1, 1.0, 1.0, 0.90)) == "Strong from the first epoch."


def test_training_loss_down_and_validation_loss_up_says_overfit():
    """Even while accuracy still climbs: the diverging losses are what the learner must notice."""
    prev, cur = Epoch(1, 0.8, 0.50, 0.70), Epoch(2, 0.6, 0.53, 0.80)
    assert observe(prev, cur) == "Training loss falls but validation loss rises: the model starts to overfit."


def test_validation_loss_up_by_at_most_two_hundredths_is_not_overfitting():
    prev, cur = Epoch(1, 0.8, 0.50, 0.70), Epoch(2, 0.6, 0.515, 0.70)
    assert observe(prev, cur) == "Plateau: more epochs add little."


def test_five_points_more_accuracy_says_climbs_quickly():
    assert observe(Epoch(1, 1.0, 1.0, 0.50), Epoch(2, 0.9, 0.9, 0.56)) == "Validation accuracy climbs quickly."


def test_a_small_gain_says_still_improving():
    assert observe(Epoch(1, 1.0, 1.0, 0.50), Epoch(2, 0.9, 0.9, 0.51)) == "Still improving, more slowly."


def test_a_drop_of_more_than_two_points_says_dropped():
    assert observe(Epoch(1, 1.0, 1.0, 0.50), Epoch(2, 0.9, 0.9, 0.47)) == (
        "Validation accuracy dropped: a noisy step or a learning rate too high."
    )


@pytest.mark.parametrize("accuracy", [0.504, 0.49])
def test_a_change_within_half_a_point_up_or_two_down_says_plateau(accuracy):
    assert observe(Epoch(1, 1.0, 1.0, 0.50), Epoch(2, 0.9, 0.9, accuracy)) == "Plateau: more epochs add little."


def test_trace_rows_read_each_epoch_against_the_one_before():
    rows = trace_rows([Epoch(1, 1.0, 1.0, 0.40), Epoch(2, 0.8, 0.8, 0.60), Epoch(3, 0.7, 0.7, 0.61)])
    assert [r.observation for r in rows] == [
        "First pass: the head starts to fit.",
        "Validation accuracy climbs quickly.",
        "Still improving, more slowly.",
    ]
