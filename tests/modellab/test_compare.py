"""The comparison page's live overlay: each run's state is swapped in place; polling ends with the last run."""

import pytest
from django.urls import reverse

from modellab.models import EpochRecord, Experiment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lab_media")]
S = Experiment.Status


@pytest.fixture
def pair(user, tiny_dataset):
    return [
        Experiment.objects.create(
            owner=user, dataset=tiny_dataset, backbone="tiny", strategy=strategy, epochs=3, lr=0.01, batch_size=8, status=S.QUEUED
        )
        for strategy in ("features", "scratch")
    ]


def set_status(exp, status):
    Experiment.objects.filter(pk=exp.pk).update(status=status)


def poll(client, pair):
    return client.get(f"{reverse('modellab:compare_trace')}?ids={pair[0].pk}&ids={pair[1].pk}", HTTP_HX_REQUEST="true")


def statuses(html):
    return [part.split('"', 1)[0] for part in html.split('data-status="')[1:]]


@pytest.mark.parametrize(
    "first, second",
    [
        (S.RUNNING, S.QUEUED),  # a queued run starts
        (S.SUCCEEDED, S.RUNNING),  # one ends while the other still runs
        (S.FAILED, S.QUEUED),
    ],
)
def test_a_state_change_while_a_run_is_active_is_swapped_in_place(client, user, pair, first, second):
    """The partial shows the new states and keeps polling; the page is not reloaded under the learner."""
    client.force_login(user)
    assert (
        'hx-trigger="every 2s"' in client.get(f"{reverse('modellab:compare')}?ids={pair[0].pk}&ids={pair[1].pk}").content.decode()
    )
    set_status(pair[0], first)
    set_status(pair[1], second)
    response = poll(client, pair)
    html = response.content.decode()
    assert statuses(html) == [first, second]
    assert 'hx-trigger="every 2s"' in html and "HX-Refresh" not in response.headers


def test_polling_stops_and_the_page_reloads_once_when_every_run_has_ended(client, user, pair):
    client.force_login(user)
    set_status(pair[0], S.SUCCEEDED)
    EpochRecord.objects.create(
        experiment=pair[0], epoch=1, train_loss=1, train_accuracy=0.5, val_loss=1, val_accuracy=0.5, seconds=1
    )
    set_status(pair[1], S.CANCELLED)
    response = poll(client, pair)
    assert "hx-trigger" not in response.content.decode() and response["HX-Refresh"] == "true"
    page = client.get(f"{reverse('modellab:compare')}?ids={pair[0].pk}&ids={pair[1].pk}").content.decode()
    assert "hx-trigger" not in page and "htmx.min.js" not in page and 'http-equiv="refresh"' not in page
    assert statuses(page) == [S.SUCCEEDED, S.CANCELLED] and 'class="chart"' in page


def test_the_partial_without_htmx_never_asks_for_a_reload(client, user, pair):
    client.force_login(user)
    set_status(pair[0], S.SUCCEEDED)
    set_status(pair[1], S.SUCCEEDED)
    response = client.get(f"{reverse('modellab:compare_trace')}?ids={pair[0].pk}&ids={pair[1].pk}")
    assert response.status_code == 200 and "HX-Refresh" not in response.headers


def test_a_comparison_of_too_many_runs_is_refused_in_words(client, user, pair):
    """An address listing 1200 runs (more fields than Django parses) gets 400 and a sentence, not a 500."""
    client.force_login(user)
    ids = "&".join(f"ids={pair[i % 2].pk}" for i in range(1200))
    for name in ("compare", "compare_trace"):
        response = client.get(f"{reverse(f'modellab:{name}')}?{ids}")
        assert response.status_code == 400
        page = response.content.decode()
        assert "A comparison shows at most 6 runs, and this address lists too many." in page
        assert 'data-code="bad_request"' in page
