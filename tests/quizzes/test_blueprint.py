"""The test draw and the choice shuffle: pure functions."""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.blueprint import Candidate, draw, draw_plan, shuffle_choices

BANK = [Candidate(i, d) for i, d in enumerate(["easy"] * 5 + ["medium"] * 6 + ["hard"] * 5, start=1)]
DIFFICULTY = {c.id: c.difficulty for c in BANK}
PLAN = {"easy": 3, "medium": 4, "hard": 3}


def test_counts_per_difficulty_follow_the_blueprint():
    """A 3/4/3 blueprint draws 3 easy, 4 medium and 3 hard questions, grouped in that order."""
    ids = draw(BANK, blueprint=PLAN, seen=[], seed=1)
    assert len(ids) == len(set(ids)) == 10
    assert Counter(DIFFICULTY[i] for i in ids) == Counter(PLAN)
    assert [DIFFICULTY[i] for i in ids] == ["easy"] * 3 + ["medium"] * 4 + ["hard"] * 3


def test_unseen_questions_come_first():
    """Questions the student has answered are drawn only when the unseen ones run out."""
    seen = {1, 2, 3, 6, 7, 8, 9, 12, 13, 14}  # 3 easy, 4 medium, 3 hard already seen
    for seed in range(30):
        ids = draw(BANK, blueprint=PLAN, seen=seen, seed=seed)
        by_difficulty = Counter(DIFFICULTY[i] for i in ids if i not in seen)
        assert by_difficulty == {"easy": 2, "medium": 2, "hard": 2}  # every unseen one is drawn


def test_same_seed_same_draw_and_more_than_one_way():
    """The seed fixes the draw; different seeds give different tests."""
    assert draw(BANK, blueprint=PLAN, seen=[], seed=7) == draw(BANK, blueprint=PLAN, seen=[], seed=7)
    assert len({tuple(draw(BANK, blueprint=PLAN, seen=[], seed=s)) for s in range(20)}) > 1


def test_shortfall_is_filled_from_other_difficulties():
    """With only one hard question, the test still has 10, the rest medium first."""
    bank = [c for c in BANK if c.difficulty != "hard"] + [Candidate(99, "hard")]
    ids = draw(bank, blueprint=PLAN, seen=[], seed=3)
    assert len(ids) == 10 and 99 in ids


def test_small_bank_gives_what_there_is():
    assert sorted(draw(BANK[:4], blueprint=PLAN, seen=[], seed=1)) == [1, 2, 3, 4]


@settings(max_examples=60, deadline=None)
@given(seen=st.sets(st.integers(1, 16)), seed=st.integers(0, 2**31))
def test_draw_properties(seen, seed):
    """Any history, any seed: 10 distinct bank questions, blueprint counts, unseen preferred."""
    ids = draw(BANK, blueprint=PLAN, seen=seen, seed=seed)
    assert len(set(ids)) == 10 and set(ids) <= set(DIFFICULTY)
    assert Counter(DIFFICULTY[i] for i in ids) == Counter(PLAN)
    for difficulty, want in PLAN.items():
        unseen = {c.id for c in BANK if c.difficulty == difficulty and c.id not in seen}
        drawn = {i for i in ids if DIFFICULTY[i] == difficulty}
        assert len(drawn & unseen) == min(want, len(unseen))


def test_shuffle_is_stable_per_secret_and_question():
    """The same attempt and question always show the same order; it is a permutation."""
    order = shuffle_choices([1, 2, 3, 4], secret=b"k42", question_id=5)
    assert order == shuffle_choices([1, 2, 3, 4], secret=b"k42", question_id=5)
    assert sorted(order) == [1, 2, 3, 4]
    orders = {tuple(shuffle_choices([1, 2, 3, 4], secret=b"k%d" % s, question_id=5)) for s in range(40)}
    assert len(orders) > 5


@given(
    st.lists(st.sampled_from(["easy", "medium", "hard"]), max_size=20),
    st.fixed_dictionaries({d: st.integers(0, 6) for d in ("easy", "medium", "hard")}),
)
@settings(max_examples=60, deadline=None)
def test_the_plan_is_what_a_new_student_draws(difficulties, blueprint):
    """draw_plan gives exactly the per-difficulty counts draw gives a student who has seen nothing."""
    bank = [Candidate(i, d) for i, d in enumerate(difficulties, start=1)]
    drawn = Counter(
        d for d in (dict((c.id, c.difficulty) for c in bank)[i] for i in draw(bank, blueprint=blueprint, seen=[], seed=3))
    )
    assert draw_plan(blueprint, Counter(difficulties)) == {d: drawn.get(d, 0) for d in ("easy", "medium", "hard")}


def test_a_bank_of_nine_never_promises_ten():
    """3/4/3 over a bank of 3 easy, 4 medium and 2 hard: 9 questions, 2 of them hard."""
    assert draw_plan(PLAN, {"easy": 3, "medium": 4, "hard": 2}) == {"easy": 3, "medium": 4, "hard": 2}
    assert draw_plan(PLAN, {"easy": 5, "medium": 4, "hard": 1}) == {"easy": 5, "medium": 4, "hard": 1}
