"""The lab's run limits are checked by the submit services, so every entry point refuses a value with the same
code: the lab form, a lesson's preset, `manage.py lab_submit` and the data-size sweep."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.models import Course, Lesson
from modellab.models import Experiment, LabPreset
from modellab.services.presets import preset_submit
from modellab.services.size_sweep import size_sweep_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]

SETTINGS = dict(epochs=2, lr=0.01, batch_size=8, image_size=32)
OVER = [  # (setting, a value outside its limit, the code), with LAB_MAX_EPOCHS=30 and LAB_MAX_BATCH_SIZE=256
    ("epochs", 31, "too_many_epochs"),
    ("epochs", 0, "too_few_epochs"),
    ("batch_size", 257, "batch_too_large"),
    ("lr", 2.0, "bad_learning_rate"),
    ("lr", 0.0, "bad_learning_rate"),
    ("image_size", 1024, "bad_image_size"),
]


@pytest.fixture(autouse=True)
def limits(settings):
    settings.LAB_MAX_EPOCHS = 30
    settings.LAB_MAX_BATCH_SIZE = 256


@pytest.mark.parametrize("field,value,code", OVER)
@pytest.mark.parametrize("action", ["run", "compare", "sweep"])
def test_the_form_refuses_it_beside_its_field(client, user, delay, field, value, code, action):
    client.force_login(user)
    data = {"dataset": "builtin:digits-3", "backbone": "tiny", "strategy": "features", "action": action, **SETTINGS, field: value}
    response = client.post(reverse("modellab:new"), data)
    assert response.status_code == 400
    assert response.context["form"].has_error(field, code=code), response.context["form"].errors.as_data()
    assert not Experiment.objects.exists()


@pytest.fixture
def lesson():
    course = Course.objects.create(slug="cv", title="CV")
    return Lesson.objects.create(course=course, slug="tiny", title="Tiny", published=True)


def preset(lesson, **overrides):
    fields = dict(
        lesson=lesson,
        position=1,
        key="p",
        title="P",
        datasets=["builtin:digits-3"],
        backbone="tiny",
        strategies=["finetune_all", "scratch", "features"],
        **SETTINGS,
    )
    fields.update(overrides)
    return LabPreset.objects.create(**fields)


@pytest.mark.parametrize("field,value,code", OVER)
@pytest.mark.parametrize("sweep", [False, True])
def test_a_preset_is_refused_with_the_same_code(user, delay, lesson, field, value, code, sweep):
    p = preset(lesson, **{field: value}, **({"strategies": ["features", "scratch"], "sweep_sizes": [2, None]} if sweep else {}))
    with pytest.raises(ValidationError) as err:
        preset_submit(owner=user, preset=p)
    assert err.value.code == code and err.value.params["field"] == field
    assert not Experiment.objects.exists()


def test_a_preset_over_the_limit_clicked_on_the_lesson_says_why(client, user, delay, lesson):
    """The batch-size limit that presets used to get round (they allowed 1024): refused, and the learner reads why."""
    p = preset(lesson, batch_size=512)
    client.force_login(user)
    response = client.post(reverse("modellab:preset_run", args=[p.pk]), follow=True)
    assert "At most 256 images per batch." in response.content.decode()
    assert not Experiment.objects.exists()


@pytest.mark.parametrize("field,value,code", OVER)
def test_lab_submit_is_refused_with_the_same_code(user, delay, field, value, code):
    options = {**SETTINGS, field: value}
    with pytest.raises(CommandError) as err:
        call_command(
            "lab_submit",
            user=user.username,
            dataset="builtin:digits-3",
            backbone="tiny",
            strategy="features",
            compare=True,
            **options,
        )
    assert str(err.value).startswith(f"{code}: ")
    assert not Experiment.objects.exists()


@pytest.mark.parametrize("field,value,code", OVER)
def test_the_sweep_service_refuses_it_with_the_same_code(user, delay, tiny_dataset, field, value, code):
    with pytest.raises(ValidationError) as err:
        size_sweep_submit(owner=user, dataset=tiny_dataset, backbone="tiny", sizes=[2, None], **{**SETTINGS, field: value})
    assert err.value.code == code
    assert not Experiment.objects.exists()


def test_sizes_of_a_sweep_are_refused_alike_from_the_form_and_the_service(client, user, delay, tiny_dataset):
    client.force_login(user)
    data = {
        "dataset": "builtin:digits-3",
        "backbone": "tiny",
        "strategy": "features",
        "action": "sweep",
        "sweep_sizes": "1, 2, 3, 4, 5, 6, 7",
        **SETTINGS,
    }
    response = client.post(reverse("modellab:new"), data)
    assert response.context["form"].has_error("sweep_sizes", code="bad_sweep_sizes")
    with pytest.raises(ValidationError) as err:
        size_sweep_submit(owner=user, dataset=tiny_dataset, backbone="tiny", sizes=[1, 2, 3, 4, 5, 6, 7], **SETTINGS)
    assert err.value.code == "bad_sweep_sizes"


def test_within_the_limits_every_entry_point_queues(client, user, delay, lesson, django_capture_on_commit_callbacks):
    """The same settings at the limits pass everywhere: the checks refuse only what is over them."""
    at_limit = dict(epochs=30, lr=1.0, batch_size=256, image_size=512)
    client.force_login(user)
    response = client.post(
        reverse("modellab:new"),
        {"dataset": "builtin:digits-3", "backbone": "tiny", "strategy": "scratch", "action": "run", **at_limit},
    )
    assert response.status_code == 302
    Experiment.objects.all().delete()
    assert len(preset_submit(owner=user, preset=preset(lesson, **at_limit))) == 3
