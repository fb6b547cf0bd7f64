"""Item analysis for quizzes: pure functions using Moodle's definitions (no database).

Definitions follow Moodle's quiz statistics report (``question/classes/statistics/questions/
calculator.php`` and ``mod/quiz/report/statistics/classes/calculator.php``; see also
https://docs.moodle.org/dev/Quiz_statistics_calculations). With ``x`` a question's mark in an
attempt, ``T`` the attempt's total and ``y = T - x`` the rest of the test, over ``s`` attempts:

* facility index   F = 100 * mean(x) / max_mark
* standard deviation SD = sqrt(sum((x - mean x)^2) / (s - 1)), shown as % of max_mark (needs s > 1)
* discrimination index D = 100 * Cov(x, y) / sqrt(Var(x) * Var(y))  (all with s - 1)
* discriminative efficiency DE = 100 * Cov(x, y) / CovMax(x, y), CovMax pairing the *sorted*
  x with the *sorted* y (the largest covariance those marks could have)
* effective weight W = 100 * sqrt(Cov(x, T)) / sum over questions of sqrt(Cov(x, T)) (None where
  Cov(x, T) < 0)
* test: mean, median (mean of the two middle totals for an even count), SD with s - 1;
  skewness/kurtosis from the k-statistics (s > 2 / s > 3);
  coefficient of internal consistency (Cronbach's alpha, %) for p questions
  CIC = 100 * p / (p - 1) * (1 - sum(Var(x)) / Var(T))  (Moodle computes it only for s > 2, p > 1);
  error ratio ER = 100 * sqrt(1 - CIC / 100); standard error SE = ER / 100 * SD.

A value that cannot be computed (one attempt, zero variance, zero max mark, ...) is ``None``,
never NaN and never an exception. Marks missing from an attempt count as 0 (Moodle: every attempt
has every question; an unanswered one scores 0).

Below ``min_attempts`` attempts (default 10) the statistics that need a sample (SD, D, DE, W, CIC,
ER, SE, skewness, kurtosis) are ``None`` and a ``too_few_attempts`` flag says so; facility, mean and
median are still given, but no other flag is raised on so little evidence.

Flags (stable ``code``): ``too_few_attempts``, ``difficulty_mismatch`` (labelled hard but facility
> 80%, or easy but facility < 40%), ``negative_discrimination`` (D < 0), ``weak_distractor`` (a wrong
choice picked by fewer than 5% of the attempts that answered).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "Flag",
    "Flagged",
    "QuestionStatistics",
    "TestStatistics",
    "ChoiceStatistics",
    "ChoiceReport",
    "ItemAnalysis",
    "MIN_ATTEMPTS",
    "WEAK_DISTRACTOR_PERCENT",
    "TOO_FEW_ATTEMPTS",
    "DIFFICULTY_MISMATCH",
    "NEGATIVE_DISCRIMINATION",
    "WEAK_DISTRACTOR",
    "mark_matrix",
    "question_statistics",
    "test_statistics",
    "choice_statistics",
    "item_analysis",
]

MIN_ATTEMPTS = 10
WEAK_DISTRACTOR_PERCENT = 5.0
HARD_FACILITY_ABOVE = 80.0
EASY_FACILITY_BELOW = 40.0
_EPS = 1e-12

# Flag codes: reports, the admin page and tests rely on these, not on the wording.
TOO_FEW_ATTEMPTS = "too_few_attempts"
DIFFICULTY_MISMATCH = "difficulty_mismatch"
NEGATIVE_DISCRIMINATION = "negative_discrimination"
WEAK_DISTRACTOR = "weak_distractor"

Mark = float | int | Decimal | tuple | None


@dataclass
class Flag:
    code: str
    message: str


class Flagged:
    """A result that carries `flags` (a list of Flag): their codes, in order."""

    flags: list[Flag]

    @property
    def flag_codes(self) -> list[str]:
        return [flag.code for flag in self.flags]

    def flagged(self, code: str) -> bool:
        return code in self.flag_codes


@dataclass
class QuestionStatistics(Flagged):
    question_id: Hashable
    n: int
    max_mark: float
    mean_mark: float | None  # raw marks
    facility: float | None  # %
    sd: float | None  # % of max_mark
    discrimination_index: float | None  # %
    discriminative_efficiency: float | None  # %
    effective_weight: float | None  # %
    flags: list[Flag] = field(default_factory=list)


@dataclass
class TestStatistics(Flagged):
    n: int
    questions: int
    max_total: float
    mean: float | None  # raw total marks
    median: float | None
    sd: float | None
    mean_percent: float | None  # % of max_total
    median_percent: float | None
    sd_percent: float | None
    skewness: float | None
    kurtosis: float | None
    cic: float | None  # coefficient of internal consistency (Cronbach's alpha), %
    error_ratio: float | None  # %
    standard_error: float | None  # raw total marks
    standard_error_percent: float | None  # % of max_total
    flags: list[Flag] = field(default_factory=list)


@dataclass
class ChoiceStatistics:
    choice_id: Hashable
    count: int
    percent: float | None  # % of the attempts that answered the question
    fraction: float | None  # the choice's credit, when known
    flags: list[Flag] = field(default_factory=list)


@dataclass
class ChoiceReport(Flagged):
    attempts: int  # attempts given (answered or not)
    responses: int  # attempts that chose at least one choice
    choices: list[ChoiceStatistics]
    flags: list[Flag] = field(default_factory=list)


@dataclass
class ItemAnalysis:
    test: TestStatistics
    questions: dict
    choices: dict


# --------------------------------------------------------------------------------------------------
# Helpers


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _is_zero(value: float | None, scale: float = 1.0) -> bool:
    return value is None or abs(value) <= _EPS * max(1.0, scale)


def _too_few_flag(n: int, min_attempts: int) -> Flag:
    return Flag(TOO_FEW_ATTEMPTS, f"only {n} attempt(s); at least {min_attempts} are needed for reliable statistics")


def mark_matrix(
    attempts: Sequence[Mapping[Hashable, Mark]], max_marks: Mapping[Hashable, float] | None = None
) -> tuple[list, dict, list[dict]]:
    """Normalise attempts into raw marks: ``(question_ids, max_marks, [{qid: mark}])``.

    An attempt maps question id -> mark *fraction* in [0, 1], or ``(mark, max_mark)``, or ``None``
    (not answered = 0). The raw mark is ``fraction * max_marks[qid]`` (Moodle: ``fraction * maxmark``);
    ``max_marks`` defaults to 1 per question, or the ``max_mark`` of the first pair seen.
    """
    maxes: dict = {qid: float(value) for qid, value in (max_marks or {}).items()}
    order = list(maxes)
    seen = set(order)
    for attempt in attempts:
        for qid, value in attempt.items():
            if qid not in seen:
                seen.add(qid)
                order.append(qid)
            if qid not in maxes and isinstance(value, tuple):
                maxes[qid] = float(value[1])
    for qid in order:
        maxes.setdefault(qid, 1.0)
        if maxes[qid] < 0 or not math.isfinite(maxes[qid]):
            raise ValueError(f"max mark of question {qid!r} must be a finite number >= 0")
    rows = []
    for attempt in attempts:
        row = {}
        for qid in order:
            value = attempt.get(qid)
            if value is None:
                fraction = 0.0
            elif isinstance(value, tuple):
                mark, out_of = float(value[0]), float(value[1])
                fraction = mark / out_of if out_of else 0.0
            else:
                fraction = float(value)
            if not (math.isfinite(fraction) and -_EPS <= fraction <= 1 + _EPS):
                raise ValueError(f"mark fraction {fraction!r} for question {qid!r} is outside 0..1")
            row[qid] = fraction * maxes[qid]
        rows.append(row)
    return order, maxes, rows


# --------------------------------------------------------------------------------------------------
# Per question


def question_statistics(
    attempts: Sequence[Mapping[Hashable, Mark]],
    max_marks: Mapping[Hashable, float] | None = None,
    *,
    difficulties: Mapping[Hashable, str] | None = None,
    min_attempts: int = MIN_ATTEMPTS,
) -> dict:
    """Per-question statistics, keyed by question id (in ``max_marks`` order, then first seen)."""
    order, maxes, rows = mark_matrix(attempts, max_marks)
    s = len(rows)
    totals = [math.fsum(row.values()) for row in rows]
    difficulties = difficulties or {}
    enough = s >= min_attempts
    out: dict = {}
    cov_overall: dict = {}
    for qid in order:
        maxmark = maxes[qid]
        x = [row[qid] for row in rows]
        y = [t - xi for t, xi in zip(totals, x, strict=True)]
        mean_x = _mean(x) if s else None
        facility = 100 * mean_x / maxmark if s and maxmark else None
        sd = discrimination = efficiency = None
        cov_overall[qid] = None
        if s > 1:
            mean_y, mean_t = _mean(y), _mean(totals)
            dx = [xi - mean_x for xi in x]
            dy = [yi - mean_y for yi in y]
            var_x = math.fsum(d * d for d in dx) / (s - 1)
            var_y = math.fsum(d * d for d in dy) / (s - 1)
            cov = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / (s - 1)
            cov_max = math.fsum((a - mean_x) * (b - mean_y) for a, b in zip(sorted(x), sorted(y), strict=True)) / (s - 1)
            cov_t = math.fsum(a * (t - mean_t) for a, t in zip(dx, totals, strict=True)) / (s - 1)
            scale = max(maxmark, 1.0) ** 2
            if _is_zero(var_x, scale):
                var_x, cov, cov_max = 0.0, 0.0, 0.0
            if _is_zero(var_y, max(math.fsum(maxes.values()), 1.0) ** 2):
                var_y, cov, cov_max = 0.0, 0.0, 0.0
            sd = 100 * math.sqrt(var_x) / maxmark if maxmark else None
            if var_x > 0 and var_y > 0:
                discrimination = max(-100.0, min(100.0, 100 * cov / math.sqrt(var_x * var_y)))
            if not _is_zero(cov_max, scale):
                efficiency = 100 * cov / cov_max
            cov_overall[qid] = 0.0 if _is_zero(cov_t, scale) else cov_t
        stats = QuestionStatistics(
            question_id=qid,
            n=s,
            max_mark=maxmark,
            mean_mark=mean_x,
            facility=facility,
            sd=sd,
            discrimination_index=discrimination,
            discriminative_efficiency=efficiency,
            effective_weight=None,
        )
        if not enough:
            stats.sd = stats.discrimination_index = stats.discriminative_efficiency = None
            stats.flags.append(_too_few_flag(s, min_attempts))
        else:
            label = (difficulties.get(qid) or "").lower()
            if facility is not None and (
                (label == "hard" and facility > HARD_FACILITY_ABOVE) or (label == "easy" and facility < EASY_FACILITY_BELOW)
            ):
                stats.flags.append(
                    Flag(DIFFICULTY_MISMATCH, f"labelled {label} but {facility:.0f}% of the available marks were scored")
                )
            if discrimination is not None and discrimination < 0:
                stats.flags.append(
                    Flag(NEGATIVE_DISCRIMINATION, "students who did well on the rest of the test did worse on this question")
                )
        out[qid] = stats
    if enough:
        total_root = math.fsum(math.sqrt(c) for c in cov_overall.values() if c is not None and c >= 0)
        if total_root > 0:
            for qid, c in cov_overall.items():
                if c is not None and c >= 0:
                    out[qid].effective_weight = 100 * math.sqrt(c) / total_root
    return out


# --------------------------------------------------------------------------------------------------
# Whole test


def test_statistics(
    attempts: Sequence[Mapping[Hashable, Mark]],
    max_marks: Mapping[Hashable, float] | None = None,
    *,
    min_attempts: int = MIN_ATTEMPTS,
) -> TestStatistics:
    """Statistics of the attempts' total marks, with Moodle's CIC, error ratio and standard error."""
    order, maxes, rows = mark_matrix(attempts, max_marks)
    s, p = len(rows), len(order)
    max_total = math.fsum(maxes.values())
    totals = sorted(math.fsum(row.values()) for row in rows)

    def percent(value: float | None) -> float | None:
        return None if value is None or not max_total else 100 * value / max_total

    stats = TestStatistics(
        n=s,
        questions=p,
        max_total=max_total,
        mean=None,
        median=None,
        sd=None,
        mean_percent=None,
        median_percent=None,
        sd_percent=None,
        skewness=None,
        kurtosis=None,
        cic=None,
        error_ratio=None,
        standard_error=None,
        standard_error_percent=None,
    )
    if s == 0:
        stats.flags.append(_too_few_flag(s, min_attempts))
        return stats
    mean = _mean(totals)
    middle = s // 2
    median = totals[middle] if s % 2 else (totals[middle - 1] + totals[middle]) / 2
    stats.mean, stats.median = mean, median
    if s > 1:
        d = [t - mean for t in totals]
        power2 = math.fsum(v**2 for v in d)
        if _is_zero(power2, max(max_total, 1.0) ** 2):
            power2 = 0.0
        stats.sd = math.sqrt(power2 / (s - 1))
        if s > 2:
            m2, m3, m4 = power2 / s, math.fsum(v**3 for v in d) / s, math.fsum(v**4 for v in d) / s
            k2 = s * m2 / (s - 1)
            k3 = s * s * m3 / ((s - 1) * (s - 2))
            if k2 > 0:
                stats.skewness = k3 / k2**1.5
                if s > 3:
                    k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                    stats.kurtosis = k4 / (k2 * k2)
                if p > 1:
                    sum_mark_variance = 0.0
                    for qid in order:
                        x = [row[qid] for row in rows]
                        mx = _mean(x)
                        sum_mark_variance += math.fsum((v - mx) ** 2 for v in x) / (s - 1)
                    cic = 100 * p / (p - 1) * (1 - sum_mark_variance / k2)
                    stats.cic = cic
                    stats.error_ratio = 100 * math.sqrt(max(0.0, 1 - cic / 100))
                    stats.standard_error = stats.error_ratio * stats.sd / 100
    stats.mean_percent = percent(stats.mean)
    stats.median_percent = percent(stats.median)
    stats.sd_percent = percent(stats.sd)
    if s < min_attempts:
        stats.skewness = stats.kurtosis = stats.cic = stats.error_ratio = stats.standard_error = None
        stats.flags.append(_too_few_flag(s, min_attempts))
    stats.standard_error_percent = percent(stats.standard_error)
    return stats


# --------------------------------------------------------------------------------------------------
# Choices


def _picked(response) -> list:
    """The choice ids of one response: a single id, an iterable of ids, or None (nothing)."""
    if response is None:
        return []
    if isinstance(response, (str, bytes)) or not isinstance(response, Iterable):
        return [response]
    return list(response)


def choice_statistics(
    responses: Sequence[Iterable[Hashable] | Hashable | None],
    choices: Mapping[Hashable, float | Decimal] | Sequence[Hashable],
    *,
    min_attempts: int = MIN_ATTEMPTS,
    weak_percent: float = WEAK_DISTRACTOR_PERCENT,
    names: Mapping[Hashable, str] | None = None,
) -> ChoiceReport:
    """Count how often each choice of one question was picked.

    ``responses`` has one entry per attempt: the chosen choice id(s) (a single id, an iterable of
    ids, or ``None``/empty when unanswered). ``choices`` maps choice id -> credit (fraction), or just
    lists the ids (then correctness is unknown and no ``weak_distractor`` flag is raised).
    Percentages are of the attempts that answered. A wrong choice (credit <= 0) picked by fewer
    than ``weak_percent``% of them is a ``weak_distractor`` (only with ``min_attempts`` answers); the
    question's flag names those choices by ``names`` (choice id -> a name for people, such as
    "C (Its weights are reset)"), or by id where no name is given.
    """
    if isinstance(choices, Mapping):
        credit = {cid: float(value) for cid, value in choices.items()}
    else:
        credit = {cid: None for cid in choices}
    counts = {cid: 0 for cid in credit}
    answered = 0
    for response in responses:
        picked = set(_picked(response))
        if not picked:
            continue
        answered += 1
        for cid in picked:
            if cid not in counts:
                raise ValueError(f"response names unknown choice {cid!r}")
            counts[cid] += 1
    report = ChoiceReport(attempts=len(responses), responses=answered, choices=[])
    enough = answered >= min_attempts
    for cid, count in counts.items():
        pct = 100 * count / answered if answered else None
        stat = ChoiceStatistics(choice_id=cid, count=count, percent=pct, fraction=credit[cid])
        if enough and credit[cid] is not None and credit[cid] <= 0 and pct is not None and pct < weak_percent:
            stat.flags.append(Flag(WEAK_DISTRACTOR, f"wrong choice picked by only {pct:.1f}% of the responses"))
        report.choices.append(stat)
    if not enough:
        report.flags.append(_too_few_flag(answered, min_attempts))
    elif any(stat.flags for stat in report.choices):
        weak = [(names or {}).get(stat.choice_id, repr(stat.choice_id)) for stat in report.choices if stat.flags]
        report.flags.append(
            Flag(WEAK_DISTRACTOR, f"{len(weak)} wrong choice(s) picked by under {weak_percent:g}%: {'; '.join(weak)}")
        )
    return report


def item_analysis(
    attempts: Sequence[Mapping[Hashable, Mark]],
    max_marks: Mapping[Hashable, float] | None = None,
    *,
    difficulties: Mapping[Hashable, str] | None = None,
    responses: Mapping[Hashable, Sequence] | None = None,
    choices: Mapping[Hashable, Mapping | Sequence] | None = None,
    min_attempts: int = MIN_ATTEMPTS,
    names: Mapping[Hashable, str] | None = None,
) -> ItemAnalysis:
    """Everything at once; a question's ``weak_distractor`` flag comes from its choice report
    (``names``: choice id -> its name for people, as choice_statistics takes)."""
    questions = question_statistics(attempts, max_marks, difficulties=difficulties, min_attempts=min_attempts)
    test = test_statistics(attempts, max_marks, min_attempts=min_attempts)
    reports: dict = {}
    for qid, per_attempt in (responses or {}).items():
        known = (choices or {}).get(qid)
        if known is None:  # ids only, in the order first picked
            known = list(dict.fromkeys(cid for response in per_attempt for cid in _picked(response)))
        report = choice_statistics(per_attempt, known, min_attempts=min_attempts, names=names)
        reports[qid] = report
        if qid in questions:
            questions[qid].flags.extend(f for f in report.flags if f.code == WEAK_DISTRACTOR)
    return ItemAnalysis(test=test, questions=questions, choices=reports)


# Not pytest tests, despite their names.
test_statistics.__test__ = False
TestStatistics.__test__ = False
