"""The web benchmark's check-back: with the site stopped, read its database and count what went wrong.

Every acknowledged answer must have exactly one response row holding the choice (or the typed
text) sent, every finished attempt's score must equal its recomputation with `quizzes.grading`
(`quizzes.typed` for typed-answer questions), and the score a
result page showed must be the attempt's stored score as the page formats it.
`verify` runs in a subprocess with the site's environment (`python -m benchmarks.web_check
CHECK.json` prints one JSON line); `run_verify` starts that subprocess. `failures` says why a
run of the benchmark is not ok (its `ok` is true only when there is no reason).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.processes import ROOT, Site


def failures(run: dict) -> list[str]:
    """Why one database's run is not ok, each reason a sentence; empty when it is ok.

    Not ok: a request failed, no answer was acknowledged (nothing was tested), an acknowledged
    answer was lost, doubled or recorded with another choice, a score differs from its
    recomputation, or a result page showed a score other than the attempt's.
    """
    reasons = []
    if run["errors"] > 0:
        reasons.append(f"{run['errors']} request(s) failed")
    if run["answers_sent"] == 0:
        reasons.append("no answer was acknowledged")
    for key in ("lost", "doubled", "mismatched", "score_mismatches", "shown_score_mismatches"):
        if run[key] > 0:
            reasons.append(f"{key}: {run[key]}")
    return reasons


def verify(check_path: str) -> dict:
    """Runs in a subprocess with the site's environment: read the database back."""
    import django

    django.setup()
    from decimal import Decimal

    from django.db.models import Count

    from quizzes.grading import grade, letter
    from quizzes.typed import TypedAnswer, grade_typed, tolerance_decimal
    from quizzes.vocabulary import TYPED_KINDS

    from benchmarks.web_traffic import TYPED_PREFIX
    from quizzes.models import Attempt, Question, Response
    from quizzes.templatetags.quizzes import percent

    sent = json.loads(Path(check_path).read_text())
    acks = sent["acks"]
    attempts = {a.pk: a for a in Attempt.objects.all()}
    responses = {(r.attempt_id, r.question_id): r for r in Response.objects.all()}
    doubled = sum(
        row["n"] - 1 for row in Response.objects.values("attempt_id", "question_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    questions = {q.pk: q for q in Question.objects.prefetch_related("choices")}

    def marks_of(r) -> Decimal:
        """The response's marks recomputed by the site's graders from what was sent."""
        q = questions[r.question_id]
        if q.kind in TYPED_KINDS:
            answers = [TypedAnswer(c.pk, c.text, c.fraction, tolerance_decimal(c.tolerance)) for c in q.choices.all()]
            return grade_typed(q.kind, answers, r.typed_answer).marks
        return grade(q.kind, {c.pk: c.fraction for c in q.choices.all()}, r.chosen_choice_ids).marks

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
        if questions[qid].kind in TYPED_KINDS:
            wrong = TYPED_PREFIX + response.typed_answer not in letters
        else:
            picked = {by_letter.get(x) for x in letters if not x.startswith(TYPED_PREFIX)}
            wrong = picked != set(response.chosen_choice_ids)
        if wrong:
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
            marks = marks_of(r)
            if marks != r.marks:
                score_mismatches += 1
            total += marks
        expected = (total / len(attempt.question_ids)).quantize(Decimal("0.00001")) if attempt.question_ids else Decimal("0")
        if attempt.score != expected:
            score_mismatches += 1
            if len(samples) < 5:
                samples.append(f"score: attempt {attempt.pk} has {attempt.score}, recomputed {expected}")
    shown_mismatches = 0
    for attempt_id, shown in sent["shown"]:
        attempt = attempts.get(attempt_id)
        stored = percent(attempt.score) if attempt is not None else "no attempt"
        if stored != f"{shown}%":
            shown_mismatches += 1
            if len(samples) < 5:
                samples.append(f"result page: attempt {attempt_id} showed {shown}%, stored {stored}")
    return {
        "answers_checked": len(acks),
        "lost": lost,
        "doubled": doubled,
        "mismatched": mismatched,
        "unacknowledged": unacknowledged,
        "attempts": len(attempts),
        "finished_attempts": finished,
        "score_mismatches": score_mismatches,
        "results_checked": len(sent["shown"]),
        "shown_score_mismatches": shown_mismatches,
        "samples": samples,
    }


def run_verify(site: Site, acks: list, shown: list) -> dict:
    """The counts of `verify` for a stopped site, the answers it acknowledged and the scores its result pages showed."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, dir=site.tmp) as fh:
        json.dump({"acks": acks, "shown": shown}, fh)
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.web_check", fh.name],
        cwd=ROOT,
        env=site.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the database check failed to run:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(verify(sys.argv[1])))
