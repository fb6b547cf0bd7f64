"""Item statistics against hand-computed values (Moodle's definitions)."""

import math
from decimal import Decimal

import pytest

from quizzes import statistics as stats

# Three questions, each worth 1 mark, four attempts:
#            q1  q2  q3 | total
#   attempt1  1   1   1 |   3
#   attempt2  1   0   1 |   2
#   attempt3  0   1   0 |   1
#   attempt4  0   0   0 |   0
ATTEMPTS = [{"q1": 1, "q2": 1, "q3": 1}, {"q1": 1, "q2": 0, "q3": 1}, {"q1": 0, "q2": 1, "q3": 0}, {"q1": 0, "q2": 0, "q3": 0}]
MAX = {"q1": 1, "q2": 1, "q3": 1}
approx = pytest.approx


def test_question_statistics_hand_computed():
    result = stats.question_statistics(ATTEMPTS, MAX, min_attempts=2)
    q1, q2, q3 = result["q1"], result["q2"], result["q3"]
    # q1: x = [1,1,0,0], mean 0.5 -> facility 50%.
    assert q1.n == 4 and q1.facility == approx(50.0)
    # Var(x) = (4 * 0.5^2) / (4-1) = 1/3 -> SD = sqrt(1/3) = 0.57735 = 57.735% of the 1-mark maximum.
    assert q1.sd == approx(100 * math.sqrt(1 / 3))
    # rest of test y = T - x = [2,1,1,0], mean 1, Var(y) = (1+0+0+1)/3 = 2/3;
    # Cov(x,y) = (0.5*1 + 0.5*0 - 0.5*0 - 0.5*-1)/3 = 1/3;
    # D = 100 * (1/3) / sqrt(1/3 * 2/3) = 100 / sqrt(2) = 70.7107
    assert q1.discrimination_index == approx(70.71067811865476)
    # CovMax pairs sorted x [0,0,1,1] with sorted y [0,1,1,2]: (0.5*1 + 0 + 0 + 0.5*1)/3 = 1/3 -> DE = 100%
    assert q1.discriminative_efficiency == approx(100.0)
    # q2: x = [1,0,1,0]; y = [2,2,0,0], mean 1; Cov = (0.5*1 - 0.5*1 + 0.5*-1 - 0.5*-1)/3 = 0
    assert q2.facility == approx(50.0)
    assert q2.discrimination_index == approx(0.0)
    # CovMax: sorted x [0,0,1,1] with sorted y [0,0,2,2] = (4 * 0.5*1)/3 = 2/3, DE = 100 * 0 / (2/3) = 0
    assert q2.discriminative_efficiency == approx(0.0)
    # q3 has the same marks as q1.
    assert q3.discrimination_index == approx(q1.discrimination_index)
    # Effective weight: Cov(x, T) with T = [3,2,1,0] (mean 1.5):
    # q1 = (0.5*1.5 + 0.5*0.5 - 0.5*-0.5 - 0.5*-1.5)/3 = 2/3; q2 = (0.75 - 0.25 - 0.25 + 0.75)/3 = 1/3; q3 = 2/3
    # W(q1) = 100*sqrt(2/3) / (2*sqrt(2/3) + sqrt(1/3)) = 100*sqrt(2)/(2*sqrt(2)+1) = 36.94%
    assert q1.effective_weight == approx(100 * math.sqrt(2) / (2 * math.sqrt(2) + 1))
    assert q2.effective_weight == approx(100 / (2 * math.sqrt(2) + 1))
    assert q1.flags == [] and q2.flags == []


def test_test_statistics_hand_computed():
    t = stats.test_statistics(ATTEMPTS, MAX, min_attempts=2)
    assert (t.n, t.questions, t.max_total) == (4, 3, 3.0)
    # totals [3,2,1,0]: mean 1.5, median (1+2)/2 = 1.5
    assert t.mean == approx(1.5) and t.median == approx(1.5)
    assert t.mean_percent == approx(50.0)
    # SD = sqrt((2.25+0.25+0.25+2.25)/3) = sqrt(5/3) = 1.29099
    assert t.sd == approx(math.sqrt(5 / 3))
    # CIC = 100 * 3/2 * (1 - sum Var(x) / Var(T)) = 150 * (1 - (1/3+1/3+1/3) / (5/3)) = 150 * 0.4 = 60
    assert t.cic == approx(60.0)
    # ER = 100 * sqrt(1 - 0.6) = 63.2456; SE = 0.632456 * 1.29099 = sqrt(0.4 * 5/3) = 0.816497
    assert t.error_ratio == approx(100 * math.sqrt(0.4))
    assert t.standard_error == approx(math.sqrt(2 / 3))
    assert t.standard_error_percent == approx(100 * math.sqrt(2 / 3) / 3)
    # symmetric totals: skewness 0; m2 = 5/4, m4 = (2*5.0625 + 2*0.0625)/4 = 2.5625,
    # k4 = 16*(5*2.5625 - 3*3*1.5625)/(3*2*1) = -10/3, kurtosis = k4 / k2^2 = (-10/3)/(25/9) = -1.2
    assert t.skewness == approx(0.0, abs=1e-12)
    assert t.kurtosis == approx(-1.2)
    assert t.flags == []


def test_median_odd_and_mark_pairs():
    attempts = [{"a": (2, 2)}, {"a": (1, 2)}, {"a": (0, 2)}]  # (mark, max mark)
    t = stats.test_statistics(attempts, min_attempts=1)
    assert t.max_total == 2.0 and t.median == 1.0 and t.mean_percent == approx(50.0)
    q = stats.question_statistics(attempts, min_attempts=1)["a"]
    # marks [2,1,0]: Var = (1+0+1)/2 = 1, SD = 1 mark = 50% of the 2-mark maximum
    assert q.facility == approx(50.0) and q.sd == approx(50.0)
    # a single question: the rest of the test is always 0 -> no discrimination
    assert q.discrimination_index is None and q.discriminative_efficiency is None


def test_missing_marks_count_as_zero():
    t = stats.test_statistics([{"a": 1, "b": 1}, {"a": 1}], min_attempts=1)
    assert sorted([t.mean, t.median]) == [1.5, 1.5]


def test_too_few_attempts_shows_none_and_flags():
    result = stats.question_statistics(ATTEMPTS, MAX, difficulties={"q1": "hard"})
    q1 = result["q1"]
    assert q1.facility == approx(50.0)
    assert (q1.sd, q1.discrimination_index, q1.discriminative_efficiency, q1.effective_weight) == (None, None, None, None)
    assert q1.flag_codes == ["too_few_attempts"]
    t = stats.test_statistics(ATTEMPTS, MAX)
    assert t.cic is None and t.error_ratio is None and t.standard_error is None
    assert t.flag_codes == ["too_few_attempts"]
    assert t.mean == approx(1.5)


def test_degenerate_one_attempt():
    q = stats.question_statistics([{"a": 1, "b": 0}], min_attempts=1)["a"]
    assert q.facility == 100.0
    assert (q.sd, q.discrimination_index, q.discriminative_efficiency) == (None, None, None)
    t = stats.test_statistics([{"a": 1, "b": 0}], min_attempts=1)
    assert (t.mean, t.median, t.sd, t.cic, t.error_ratio, t.standard_error) == (1.0, 1.0, None, None, None, None)


def test_degenerate_zero_variance_and_no_attempts():
    same = [{"a": 0.3, "b": 0.7}] * 12
    q = stats.question_statistics(same)["a"]
    assert q.sd == 0.0 and q.discrimination_index is None and q.discriminative_efficiency is None
    t = stats.test_statistics(same)
    assert t.sd == 0.0 and t.cic is None and t.error_ratio is None and t.skewness is None
    empty = stats.test_statistics([], {"a": 1})
    assert empty.n == 0 and empty.mean is None and empty.flag_codes == ["too_few_attempts"]
    assert stats.question_statistics([], {"a": 1})["a"].facility is None
    zero_max = stats.question_statistics([{"a": 0}] * 3, {"a": 0}, min_attempts=1)["a"]
    assert zero_max.facility is None and zero_max.sd is None
    for value in vars(q).values():
        assert not (isinstance(value, float) and math.isnan(value))


def test_flags_difficulty_mismatch_and_negative_discrimination():
    # q2 is answered right exactly by the weaker students: negative discrimination.
    attempts = [{"q1": 1, "q2": 0, "q3": 1}] * 6 + [{"q1": 0, "q2": 1, "q3": 0}] * 4
    result = stats.question_statistics(attempts, difficulties={"q1": "easy", "q2": "hard", "q3": "hard"})
    # q1 facility 60%, labelled easy: fine; q3 facility 60%, labelled hard: fine.
    assert result["q1"].flag_codes == [] and result["q3"].flag_codes == []
    assert result["q2"].facility == approx(40.0)
    assert result["q2"].discrimination_index == approx(-100.0)
    assert result["q2"].flag_codes == ["negative_discrimination"]
    easy = stats.question_statistics([{"a": 0}] * 7 + [{"a": 1}] * 3, difficulties={"a": "easy"})["a"]
    assert easy.flag_codes == ["difficulty_mismatch"]  # 30% < 40%
    hard = stats.question_statistics([{"a": 1}] * 9 + [{"a": 0}], difficulties={"a": "hard"})["a"]
    assert hard.flag_codes == ["difficulty_mismatch"]  # 90% > 80%


def test_choice_statistics_and_weak_distractor():
    responses = ["a"] * 15 + ["b"] * 4 + [["c"]] + [None, []]
    report = stats.choice_statistics(responses, {"a": 1, "b": 0, "c": Decimal(0), "d": 0})
    assert (report.attempts, report.responses) == (22, 20)
    assert [(c.choice_id, c.count, c.percent) for c in report.choices] == [
        ("a", 15, 75.0),
        ("b", 4, 20.0),
        ("c", 1, 5.0),  # exactly 5% is not "fewer than 5%"
        ("d", 0, 0.0),
    ]
    assert [c.choice_id for c in report.choices if c.flags] == ["d"]
    assert report.flag_codes == ["weak_distractor"]
    few = stats.choice_statistics(["a", "b"], {"a": 1, "b": 0, "c": 0})
    assert few.flag_codes == ["too_few_attempts"] and not any(c.flags for c in few.choices)
    nobody = stats.choice_statistics([None], ["a", "b"], min_attempts=1)
    assert [c.percent for c in nobody.choices] == [None, None]
    with pytest.raises(ValueError):
        stats.choice_statistics(["zz"], ["a"])


def test_multiple_answer_choice_counts():
    report = stats.choice_statistics([["a", "b"], ["a"], ["b", "c"], ["a", "b"]], {"a": 0.5, "b": 0.5, "c": -1}, min_attempts=1)
    assert [(c.count, c.percent) for c in report.choices] == [(3, 75.0), (3, 75.0), (1, 25.0)]


def test_item_analysis_combines():
    attempts = [{"q1": 1, "q2": 1}] * 8 + [{"q1": 0, "q2": 0}] * 4
    responses = {"q1": ["right"] * 8 + ["wrong"] * 4 + [], "q2": ["x"] * 12}
    analysis = stats.item_analysis(
        attempts, {"q1": 1, "q2": 1}, responses=responses, choices={"q1": {"right": 1, "wrong": 0, "silly": 0}}
    )
    assert analysis.test.n == 12
    assert analysis.questions["q1"].flag_codes == ["weak_distractor"]
    assert analysis.choices["q2"].choices[0].count == 12
    assert analysis.questions["q2"].flag_codes == []


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError):
        stats.question_statistics([{"a": 1.5}])
    with pytest.raises(ValueError):
        stats.question_statistics([{"a": 1}], {"a": -1})
