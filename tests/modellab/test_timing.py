"""Time on a comparison: the headline, time to accuracy, the phases of the wall clock, the elapsed-time chart."""

import pytest
from django.urls import reverse

from common.charts import Series, line_chart_svg
from modellab.models import EpochRecord, Experiment
from modellab.timing import EpochPoint, RunTiming, duration, elapsed_chart, headline
from modellab.services.experiments import experiment_submit
from modellab.services.runs import experiment_run

S = Experiment.Status


def timing(pretrained, points, finished=True, epochs=5, **kw):
    return RunTiming(
        "Pre-trained" if pretrained else "From scratch",
        pretrained,
        epochs,
        tuple(EpochPoint(i + 1, acc, t) for i, (acc, t) in enumerate(points)),
        finished,
        **kw,
    )


@pytest.mark.parametrize(
    "seconds,text",
    [
        (None, "—"),
        (0.0004, "under 1 ms"),
        (0.0123, "12 ms"),
        (0.9996, "1.0 s"),
        (4.24, "4.2 s"),
        (21.4, "21 s"),
        (59.6, "60 s"),
        (550, "9 min 10 s"),
        (600, "10 min"),
    ],
)
def test_durations_read_plainly(seconds, text):
    assert duration(seconds) == text


def test_headline_when_scratch_gets_there_later():
    pre = timing(True, [(0.96, 21.0), (0.97, 22.0)])
    scratch = timing(False, [(0.5, 110.0), (0.9, 220.0), (0.961, 550.0)])
    line = headline(pre, scratch)
    assert line.text == "Pre-trained reached 0.96 in 21 s; from scratch needed 9 min 10 s (26x as long)."
    assert (line.target, line.pretrained_s, line.scratch_s) == (0.96, 21.0, 550.0)


def test_headline_when_scratch_never_does():
    pre = timing(True, [(0.99, 6.0)])
    scratch = timing(False, [(0.34, 12.0), (0.9, 30.0)], epochs=2)
    assert headline(pre, scratch).text == "Pre-trained reached 0.99 in 6.0 s; from scratch never did, in 2 epochs."


def test_headline_while_scratch_is_still_training():
    pre = timing(True, [(0.99, 6.0)])
    scratch = timing(False, [(0.34, 12.0)], finished=False)
    assert headline(pre, scratch).text.endswith("from scratch has not yet (1 of 5 epochs done).")


def test_no_headline_before_the_first_pretrained_epoch():
    assert headline(timing(True, []), timing(False, [])) is None
    assert headline(timing(True, [(0.9, None)]), timing(False, [])) is None  # rows from before times were recorded


def test_total_adds_the_phases_once_finished():
    t = timing(True, [(0.9, 5.0)], startup=3.0, extraction=1.5, training=0.5)
    assert t.total == 5.0
    assert timing(True, [(0.9, 5.0)], finished=False, training=0.5).total is None


def test_the_elapsed_chart_starts_at_zero_with_round_ticks():
    svg = elapsed_chart([timing(True, [(0.9, 4.2), (0.95, 4.9)]), timing(False, [(0.3, 20.0), (0.8, 41.0)])], chart_id="e")
    assert "Seconds since the run started" in svg and "Pre-trained, Seconds since the run started 4.2: 0.9" in svg
    for tick in ("0<", "10<", "20<", "30<", "40<", "50<"):
        assert f'text-anchor="middle">{tick}' in svg
    assert 'text-anchor="middle">4.2<' not in svg  # points are not tick labels on a linear axis


def test_linear_ticks_keep_the_default_for_epochs():
    svg = line_chart_svg([Series("a", ((1, 0.5), (2, 0.7)))], title="t", x_label="Epoch", y_label="y", chart_id="c")
    assert 'text-anchor="middle">1<' in svg and 'text-anchor="middle">2<' in svg and 'text-anchor="middle">0<' not in svg


# ----------------------------------------------------------------------------- the comparison page


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_the_comparison_states_the_time_headline_and_each_runs_phases(client, user, tiny_dataset, delay):
    """Two real runs (tiny backbone): the page gives the headline, the definition, and start-up,
    extraction, training and total per run; from scratch extracts nothing."""
    a, b = experiment_submit(
        owner=user,
        dataset=tiny_dataset,
        backbone="tiny",
        strategy="features",
        epochs=3,
        lr=0.05,
        batch_size=4,
        compare=True,
        image_size=32,
    )
    for e in (a, b):
        assert experiment_run(experiment_id=e.pk) == S.SUCCEEDED
    records = list(EpochRecord.objects.filter(experiment=a).order_by("epoch"))
    assert all(r.elapsed_seconds is not None for r in records)
    assert [r.elapsed_seconds for r in records] == sorted(r.elapsed_seconds for r in records)
    a.refresh_from_db()
    assert a.results["startup_seconds"] >= 0 and a.results["extract_seconds"] > 0
    assert records[0].elapsed_seconds >= a.results["startup_seconds"] + a.results["extract_seconds"]
    client.force_login(user)
    page = client.get(reverse("modellab:compare") + f"?ids={a.pk}&ids={b.pk}").content.decode()
    # the tiny backbone has no pre-trained weights: the headline names the run by what it is
    assert 'class="lab-headline"' in page and f"Random init (frozen features) reached {records[0].val_accuracy:.2f} in" in page
    assert "Time to accuracy: the seconds from the moment a worker started a run" in page
    assert page.count('class="lab-time-row"') == 2
    scratch_row = page.split('data-strategy="scratch"')[1].split("</tr>")[0]
    assert "<td>none</td>" in scratch_row
    assert "Seconds since the run started" in page and page.count("<svg") == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("lab_media")
def test_a_cache_hit_says_so_in_the_time_table(client, user, tiny_dataset, delay):
    runs = []
    for _ in range(2):
        pair = experiment_submit(
            owner=user, dataset=tiny_dataset, backbone="tiny", strategy="features", epochs=1, lr=0.05, batch_size=4, compare=True
        )
        Experiment.objects.filter(pk=pair[1].pk).update(status=S.CANCELLED)
        experiment_run(experiment_id=pair[0].pk)
        runs.append(pair)
    client.force_login(user)
    a, b = runs[1]
    page = client.get(reverse("modellab:compare") + f"?ids={a.pk}&ids={b.pk}").content.decode()
    assert "cache hit: features reused from an earlier run" in page
