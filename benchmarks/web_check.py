"""The web benchmark's check-back: with the site stopped, read its database and count what went wrong.

Every acknowledged answer must have exactly one response row holding the choice sent, and
every finished attempt's score must equal its recomputation with `quizzes.grading`.
`verify` runs in a subprocess with the site's environment (`python -m benchmarks.web_check
ACKS.json` prints one JSON line); `run_verify` starts that subprocess.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.harness import ROOT, Site


def verify(ack_path: str) -> dict:
    """Runs in a subprocess with the site's environment: read the database back."""
    import django

    django.setup()
    from decimal import Decimal

    from django.db.models import Count

    from quizzes.grading import grade, letter
    from quizzes.models import Attempt, Question, Response

    acks = json.loads(Path(ack_path).read_text())
    attempts = {a.pk: a for a in Attempt.objects.all()}
    responses = {(r.attempt_id, r.question_id): r for r in Response.objects.all()}
    doubled = sum(
        row["n"] - 1 for row in Response.objects.values("attempt_id", "question_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    fractions = {
        q.pk: (q.kind, {c.pk: c.fraction for c in q.choices.all()}) for q in Question.objects.prefetch_related("choices")
    }
    lost, mismatched, acked_keys, samples = 0, 0, set(), []
    for attempt_id, number, letters in acks:
        attempt = attempts.get(attempt_id)
        qid = attempt.question_ids[number - 1] if attempt else None
        response = responses.get((attempt_id, qid))
        acked_keys.add((attempt_id, qid))
        if response is None or response.answered_at is None:
            lost += 1
            if len(samples) < 5:
                samples.append(f"lost: attempt {attempt_id} question {number}")
            continue
        by_letter = {letter(i): cid for i, cid in enumerate(attempt.choice_orders.get(str(qid), []))}
        if {by_letter.get(x) for x in letters} != set(response.chosen_choice_ids):
            mismatched += 1
            if len(samples) < 5:
                samples.append(f"mismatched: attempt {attempt_id} question {number}: sent {letters}")
    unacknowledged = sum(1 for key, r in responses.items() if r.answered_at and key not in acked_keys)
    score_mismatches, finished = 0, 0
    for attempt in attempts.values():
        if attempt.finished_at is None:
            continue
        finished += 1
        total = Decimal("0")
        for qid in attempt.question_ids:
            r = responses.get((attempt.pk, qid))
            if r is None or r.answered_at is None:
                continue
            kind, fr = fractions[qid]
            marks = grade(kind, fr, r.chosen_choice_ids).marks
            if marks != r.marks:
                score_mismatches += 1
            total += marks
        expected = (total / len(attempt.question_ids)).quantize(Decimal("0.00001")) if attempt.question_ids else Decimal("0")
        if attempt.score != expected:
            score_mismatches += 1
            if len(samples) < 5:
                samples.append(f"score: attempt {attempt.pk} has {attempt.score}, recomputed {expected}")
    return {
        "answers_checked": len(acks), "lost": lost, "doubled": doubled, "mismatched": mismatched,
        "unacknowledged": unacknowledged, "attempts": len(attempts), "finished_attempts": finished,
        "score_mismatches": score_mismatches, "samples": samples,
    }


def run_verify(site: Site, acks: list) -> dict:
    """The counts of `verify` for a stopped site and the answers it acknowledged."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=site.tmp) as fh:
        json.dump(acks, fh)
    out = subprocess.run([sys.executable, "-m", "benchmarks.web_check", fh.name], cwd=ROOT,
                         env=site.env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"the database check failed to run:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(verify(sys.argv[1])))
