"""Dataset references (builtin:<key>, upload:<id>): the one parser, resolving them, and bad ones everywhere."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from modellab.dataset_ref import DatasetRef
from modellab.models import Dataset, Experiment
from modellab.services.datasets import dataset_resolve

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]

BAD_REFS = ["x", "", "builtin:", "upload:", "upload:abc", "upload:-1", "upload:\u0661", "zip:3", ":digits"]
MISSING_REFS = ["builtin:nope", "upload:999999", "upload:" + "9" * 30]


@pytest.mark.parametrize("text", ["builtin:digits-3", "upload:42"])
def test_a_reference_reads_back_as_it_was_written(text):
    assert str(DatasetRef.parse(text)) == text


@pytest.mark.parametrize("text", BAD_REFS)
def test_a_malformed_reference_is_refused_with_its_code_and_text(text):
    with pytest.raises(ValidationError) as err:
        DatasetRef.parse(text)
    assert err.value.code == "bad_dataset_ref" and repr(text) in err.value.messages[0]


def test_resolving_a_builtin_gives_its_one_shared_row(user, other_user):
    mine = dataset_resolve(user=user, ref=DatasetRef.parse("builtin:digits-3"))
    theirs = dataset_resolve(user=other_user, ref=DatasetRef.parse("builtin:digits-3"))
    assert mine.pk == theirs.pk and mine.kind == Dataset.Kind.BUILTIN and mine.owner is None


@pytest.mark.parametrize(
    "text, code",
    [
        ("builtin:nope", "unknown_dataset"),
        ("builtin:cifar-cat-dog-bird", "dataset_unavailable"),
        ("upload:999999", "unknown_dataset"),
        ("upload:" + "9" * 30, "unknown_dataset"),
    ],
)
def test_resolving_a_dataset_that_is_not_there_says_which(user, text, code):
    with pytest.raises(ValidationError) as err:
        dataset_resolve(user=user, ref=DatasetRef.parse(text))
    assert err.value.code == code


def test_another_learners_upload_resolves_for_staff_only(user, other_user, staff_user, tiny_dataset):
    ref = DatasetRef.of(tiny_dataset)
    assert dataset_resolve(user=user, ref=ref) == tiny_dataset
    assert dataset_resolve(user=staff_user, ref=ref) == tiny_dataset
    with pytest.raises(ValidationError) as err:
        dataset_resolve(user=other_user, ref=ref)
    assert err.value.code == "unknown_dataset"  # reads as if it did not exist


@pytest.mark.parametrize(
    "text, code",
    [
        ("x", "bad_dataset_ref"),
        ("upload:abc", "bad_dataset_ref"),
        ("builtin:nope", "unknown_dataset"),
        ("upload:999999", "unknown_dataset"),
    ],
)
def test_lab_submit_refuses_a_bad_reference_with_its_code(user, text, code):
    with pytest.raises(CommandError) as err:
        call_command("lab_submit", "--user", user.username, "--dataset", text, "--backbone", "tiny")
    assert str(err.value).startswith(f"{code}: ")
    assert Experiment.objects.count() == 0


@pytest.mark.parametrize("text", BAD_REFS + MISSING_REFS)
def test_the_form_page_survives_any_reference(client, user, text):
    """?dataset= only preselects and shows an upload's report; a POSTed one must be among the options."""
    client.force_login(user)
    assert client.get(reverse("modellab:new"), {"dataset": text}).status_code == 200
    response = client.post(
        reverse("modellab:new"),
        {"dataset": text, "backbone": "tiny", "strategy": "features", "epochs": 2, "lr": 0.01, "batch_size": 8, "action": "run"},
    )
    assert response.status_code == 400 and response.context["form"].has_error("dataset")
    assert Experiment.objects.count() == 0


def test_the_form_page_shows_the_report_of_the_upload_it_names(client, user, other_user, tiny_dataset):
    client.force_login(user)
    page = client.get(reverse("modellab:new"), {"dataset": str(DatasetRef.of(tiny_dataset))})
    assert page.context["report_dataset"] == tiny_dataset and "Validation report: tiny digits" in page.content.decode()
    client.force_login(other_user)
    assert client.get(reverse("modellab:new"), {"dataset": str(DatasetRef.of(tiny_dataset))}).context["report_dataset"] is None
