"""Measure a lesson's reference on the lab: run its presets as the lesson page's buttons do, through the
broker and whatever workers consume it, then publish the runs as the lesson's measured reference and print
it as the lesson file's ``measured:`` section (the admin's publish action and YAML download, in one step)."""

import sys
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from courses.models import Lesson
from modellab.management.users import command_user
from modellab.models import Experiment, LabPreset
from modellab.services.measured import measured_publish, measured_to_yaml
from modellab.services.presets import preset_submit


class Command(BaseCommand):
    help = (
        "Run a lesson's lab presets one after the other on the lab's workers (a worker must be consuming the broker: "
        "make run starts one), publish the runs as the lesson's measured reference and print its YAML."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lesson", required=True, help="the lesson's slug")
        parser.add_argument("--presets", default="", help="comma-separated preset keys (default: every preset of the lesson)")
        parser.add_argument("--user", required=True, help="who owns the runs (created with --create-user)")
        parser.add_argument("--create-user", action="store_true")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for every run (default 3600)")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between looks at the runs (default 5)")

    def handle(self, *args, **o):
        lesson = Lesson.objects.filter(slug=o["lesson"]).first()
        if lesson is None:
            raise CommandError(f"--lesson: no lesson {o['lesson']!r} (load it with loadcontent).")
        presets = list(LabPreset.objects.filter(lesson=lesson).order_by("position"))
        if o["presets"]:
            by_key = {p.key: p for p in presets}
            wanted = [k.strip() for k in o["presets"].split(",") if k.strip()]
            unknown = [k for k in wanted if k not in by_key]
            if unknown:
                raise CommandError(
                    f"--presets: the lesson {lesson.slug!r} has no preset {', '.join(map(repr, unknown))}; "
                    f"its presets: {', '.join(by_key) or 'none'}."
                )
            presets = [by_key[k] for k in wanted]
        if not presets:
            raise CommandError(f"--lesson: the lesson {lesson.slug!r} has no lab presets to measure.")
        user = command_user(o["user"], create=o["create_user"])

        deadline = time.monotonic() + o["timeout"]
        runs = []
        for preset in presets:  # one after the other: a learner may have only so many runs at once
            try:
                submitted = preset_submit(owner=user, preset=preset)
            except ValidationError as exc:
                raise CommandError(f"preset {preset.key!r}: {exc.code}: {' '.join(exc.messages)}") from exc
            self._say(f"preset {preset.key!r}: queued runs {', '.join(f'#{e.pk}' for e in submitted)}")
            runs += self._wait(submitted, deadline, o["poll"])

        failed = [e for e in runs if e.status != Experiment.Status.SUCCEEDED]
        if failed:
            raise CommandError(
                "not published: "
                + "; ".join(
                    f"run #{e.pk} {e.status}: {e.failure_reason or e.failure_code or 'no reason recorded'}" for e in failed
                )
            )
        try:
            reference = measured_publish(experiments=runs)
        except ValidationError as exc:
            raise CommandError(f"not published: {exc.code}: {' '.join(exc.messages)}") from exc
        self._say(f"published on {lesson.slug!r}: {len(reference.runs)} run(s), {len(reference.sweep)} sweep point(s)")
        self.stdout.write(measured_to_yaml(reference), ending="")

    def _wait(self, submitted: list[Experiment], deadline: float, poll: float) -> list[Experiment]:
        ids, done = [e.pk for e in submitted], set()
        while True:
            runs = list(Experiment.objects.filter(pk__in=ids).order_by("pk"))
            for e in runs:
                if e.is_done and e.pk not in done:
                    done.add(e.pk)
                    seconds = (e.finished_at - e.started_at).total_seconds() if e.started_at and e.finished_at else 0.0
                    self._say(f"run #{e.pk} ({e.strategy}): {e.status} in {seconds:.1f} s")
            if len(done) == len(ids):
                return runs
            if time.monotonic() > deadline:
                waiting = ", ".join(f"#{e.pk} ({e.status})" for e in runs if e.pk not in done)
                raise CommandError(f"--timeout: runs {waiting} had not ended; is a worker consuming the broker?")
            time.sleep(poll)

    def _say(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)
