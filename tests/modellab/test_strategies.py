"""The strategies a learner can pick are exactly the ones the engine trains, finetune_all among them everywhere."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from courses.content import load_lesson_file
from modellab.engine.config import STRATEGIES
from modellab.management.commands.lab_submit import Command
from modellab.models import Experiment
from tests.conftest import SEED_LESSON


def test_the_models_strategies_are_the_engines_in_its_order():
    """Experiment.Strategy labels the engine's STRATEGIES: none missing, none extra (the form lists these)."""
    assert tuple(Experiment.Strategy.values) == STRATEGIES


def test_lab_submit_offers_the_engines_strategies():
    parser = Command().create_parser("manage.py", "lab_submit")
    (action,) = [a for a in parser._actions if a.dest == "strategy"]
    assert tuple(action.choices) == STRATEGIES


# ----------------------------------------------------------------------------- finetune_all, offered like the others


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_the_form_offers_finetune_all_and_compares_it_with_scratch_and_frozen_features(client, user, delay):
    client.force_login(user)
    assert 'value="finetune_all"' in client.get(reverse("modellab:new")).content.decode()
    response = client.post(
        reverse("modellab:new"),
        {
            "dataset": "builtin:digits-3",
            "backbone": "tiny",
            "strategy": "finetune_all",
            "epochs": 2,
            "lr": 0.01,
            "batch_size": 8,
            "frozen_arm": "on",
            "action": "compare",
        },
    )
    runs = list(Experiment.objects.order_by("pk"))
    assert response.status_code == 302 and [e.strategy for e in runs] == ["finetune_all", "scratch", "features"]
    assert len({(e.comparison_group, e.epochs, e.lr, e.batch_size, e.seed, e.dataset_id, e.backbone) for e in runs}) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_lab_submit_queues_finetune_all_with_its_twins(user, delay, capsys):
    call_command(
        "lab_submit",
        user=user.username,
        dataset="builtin:digits-3",
        backbone="tiny",
        strategy="finetune_all",
        epochs=2,
        compare=True,
        frozen_arm=True,
    )
    ids = json.loads(capsys.readouterr().out)["experiments"]
    assert [Experiment.objects.get(pk=i).strategy for i in ids] == ["finetune_all", "scratch", "features"]


@pytest.mark.django_db
def test_the_ready_made_preset_fills_the_form_with_its_three_arms(client, user):
    lesson = load_lesson_file(SEED_LESSON).lesson
    client.force_login(user)
    form = client.get(reverse("modellab:new") + f"?lesson={lesson.slug}&preset=ready-made").context["form"]
    assert form.initial["strategy"] == "finetune_all" and form.initial["frozen_arm"] is True
