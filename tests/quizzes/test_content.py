"""The lesson file's `questions:` section: validation with file:line: field, idempotent saves."""

from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from courses import yamlnodes
from courses.content import load_lesson_text
from courses.markdown import render_markdown
from quizzes import content, grading
from quizzes.grading import find_letter_reference
from quizzes.models import Attempt, Choice, LessonExamSettings, LessonQuizSettings, Question, Response

HEAD = """\
course: {slug: c, title: Course, track: ml}
lesson: {slug: l, title: Lesson}
questions:
"""

GOOD = (
    HEAD
    + """\
  blueprint: {easy: 1, medium: 1}
  quiz:
    - key: q1
      stem: First?
      choices:
        - {text: Right, correct: true, feedback: Yes.}
        - {text: Wrong}
  practice:
    - key: p1
      difficulty: easy
      stem: Pick two.
      kind: multiple
      mistakes: [Picking the wrong one]
      choices:
        - {text: One, correct: true}
        - {text: Two, correct: true}
        - {text: Three, mistake: 1}
      steps:
        - {title: Think, body: Carefully.}
      hints: [Two are right.]
      quick_check: One and two.
    - key: p2
      difficulty: medium
      stem: Weighted.
      kind: multiple
      choices:
        - {text: A lot, weight: 75}
        - {text: A little, weight: 25}
        - {text: Wrong, weight: -100}
"""
)


def load(text):
    return load_lesson_text(text, source="lesson.yaml").lesson


@pytest.mark.django_db
def test_section_loads_questions_choices_and_blueprint():
    lesson = load(GOOD)
    assert sorted(Question.objects.filter(lesson=lesson).values_list("key", "role", "position")) == [
        ("p1", "practice", 1),
        ("p2", "practice", 2),
        ("q1", "quiz", 1),
    ]
    p1 = Question.objects.get(key="p1")
    # correct: true shares 100%; each wrong choice of a multiple takes one share away
    assert [c.fraction for c in p1.choices.all()] == [Decimal("0.5"), Decimal("0.5"), Decimal("-0.5")]
    assert p1.choices.all()[2].mistake.text == "Picking the wrong one"
    assert [c.fraction for c in Question.objects.get(key="p2").choices.all()] == [Decimal("0.75"), Decimal("0.25"), Decimal("-1")]
    assert LessonQuizSettings.objects.get(lesson=lesson).blueprint() == {"easy": 1, "medium": 1, "hard": 0}


@pytest.mark.django_db
def test_reload_unchanged_keeps_rows_and_an_edit_makes_a_version():
    """Loading the same file twice keeps question and choice ids; an edited question becomes
    version 2 and its version 1 stays as it was, so recorded responses keep what they showed."""
    load(GOOD)
    ids = list(Question.objects.values_list("id", flat=True)), list(Choice.objects.values_list("id", flat=True))
    load(GOOD)
    assert (list(Question.objects.values_list("id", flat=True)), list(Choice.objects.values_list("id", flat=True))) == ids
    old = Question.objects.get(key="q1")
    load(GOOD.replace("First?", "First, edited?"))
    new = Question.objects.get(key="q1", current=True)
    assert (new.version, new.stem, new.active) == (2, "First, edited?", True)
    old.refresh_from_db()
    assert (old.version, old.stem, old.current, old.active) == (1, "First?", False, False)
    assert [c.lineage_id for c in new.choices.all()] == [c.id for c in old.choices.all()]
    assert Question.objects.filter(key="p1").count() == 1


@pytest.mark.django_db
def test_removed_questions_with_responses_become_inactive():
    """A question dropped from the file is deleted, unless students answered it."""
    lesson = load(GOOD)
    attempt = Attempt.objects.create(mode="practice", lesson=lesson, anon_id="x", question_ids=[])
    Response.objects.create(attempt=attempt, question=Question.objects.get(key="p1"))
    without_p = GOOD.split("  practice:")[0].replace("  blueprint: {easy: 1, medium: 1}\n", "")
    load(without_p)
    assert Question.objects.get(key="p1").active is False
    assert not Question.objects.filter(key="p2").exists()
    load(GOOD)
    assert Question.objects.get(key="p1").active is True


def error_for(text) -> ValidationError:
    with pytest.raises(ValidationError) as exc:
        load(text)
    return exc.value


def _replace_line(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old, new, line, field, words, code",
    [
        (
            "quick_check: One and two.",
            "quick_check: Pre-trained models reuse features = B",
            22,
            "quick_check",
            "by letter",
            grading.LETTER_REFERENCE,
        ),
        (
            "- {title: Think, body: Carefully.}",
            "- {title: Think, body: Options C and D are wrong.}",
            20,
            "body",
            "by letter",
            grading.LETTER_REFERENCE,
        ),
        (
            "- {text: Wrong}\n",
            "- {text: Wrong, correct: true}\n",
            8,
            "quiz[1].choices",
            "exactly one correct",
            grading.SINGLE_NEEDS_ONE_CORRECT,
        ),
        ("- {text: Three, mistake: 1}", "- {text: Three, mistake: 2}", 17, "mistake", "no mistake 2", content.NO_SUCH_MISTAKE),
        ("- key: p2", "- key: p1", 23, "practice[2]", "already used", content.DUPLICATE_KEY),
        ("difficulty: medium", "difficulty: tricky", 25, "difficulty", "not one of", content.UNKNOWN_DIFFICULTY),
        (
            "- {text: A little, weight: 25}",
            "- {text: A little, weight: 20}",
            28,
            "choices",
            "add up to 95%",
            grading.WEIGHTS_NOT_100,
        ),
        (
            "- {text: A little, weight: 25}",
            "- {text: A little, weight: 25, correct: false}",
            30,
            "choices[2]",
            "disagree",
            content.CORRECT_WEIGHT_DISAGREE,
        ),
        (
            "blueprint: {easy: 1, medium: 1}",
            "blueprint: {easy: 1, medium: 1, hard: 5}",
            4,
            "blueprint",
            "practice bank has 2",
            content.BLUEPRINT_OVER_BANK,
        ),
        ("      stem: First?\n", "      stem: First?\n      answer: B\n", 7, "answer", "unknown field", yamlnodes.UNKNOWN_FIELD),
        ("        - {text: Wrong}\n", "", 8, "choices", "at least two", grading.TOO_FEW_CHOICES),
        ("    - key: q1\n", "    - key: q 1\n", 6, "key", "use only letters", content.BAD_KEY),
        ("      stem: First?\n", "      stem: First?\n      kind: essay\n", 8, "kind", "not one of", grading.UNKNOWN_KIND),
    ],
)
def test_validation_errors_name_line_and_field(old, new, line, field, words, code):
    """Every rule fails with the file, line and field, and nothing is saved."""
    error = error_for(_replace_line(GOOD, old, new))
    assert error.code == code, error
    assert error.params["source"] == "lesson.yaml"
    assert field in error.params["field"], error
    assert words in error.params["problem"], error
    assert error.messages[0].startswith(f"lesson.yaml:{error.params['line']}: {error.params['field']}: "), error
    assert abs(error.params["line"] - line) <= 3, error
    assert not Question.objects.exists()


@pytest.mark.django_db
def test_letters_cannot_be_typed_for_the_answer():
    """There is no field for a letter: an `answer: B` line is refused, and letters come from order."""
    error = error_for(GOOD.replace("      stem: First?\n", "      stem: First?\n      answer: B\n"))
    assert "unknown field 'answer'" in error.params["problem"]


@pytest.mark.django_db
def test_seed_lesson_bank(seed_lesson):
    """The seed lesson ships 3 model-quiz questions and 16 practice ones across difficulties,
    with solutions, hints and mistakes, and no text that names a choice by letter."""
    questions = Question.objects.filter(lesson=seed_lesson).prefetch_related("choices", "steps", "hints", "mistakes")
    quiz = [q for q in questions if q.role == "quiz"]
    practice = [q for q in questions if q.role == "practice"]
    assert len(quiz) == 3
    assert len(practice) >= 15
    counts = Counter(q.difficulty for q in practice)
    assert counts["easy"] >= 4 and counts["medium"] >= 5 and counts["hard"] >= 4  # a 3/4/3 draw has choices
    assert {q.kind for q in questions} == {"single", "multiple", "truefalse", "numeric", "short"}
    for q in practice:
        assert q.steps.all() and q.hints.all() and q.mistakes.all() and q.quick_check, q.key
    texts = [q.quick_check for q in questions]
    texts += [s.body for q in questions for s in q.steps.all()] + [h.text for q in questions for h in q.hints.all()]
    texts += [c.feedback for q in questions for c in q.choices.all()]
    assert [t for t in texts if find_letter_reference(t)] == []
    # the seed's 5 practice questions are there, with their stems
    stems = " ".join(q.stem for q in practice)
    for phrase in ["save time in computer vision projects", "ResNet-50", "MobileNetV2", "'Sequential' object", "only 500 images"]:
        assert phrase in stems


@pytest.mark.django_db
def test_seed_code_block_is_highlighted(seed_lesson):
    """Question 3's TensorFlow snippet is a fenced python block that Pygments highlights."""
    stem = Question.objects.get(lesson=seed_lesson, key="mobilenet-output-shape").stem
    assert "```python" in stem
    html = str(render_markdown(stem))
    assert 'class="highlight"' in html and '<span class="kn">import</span>' in html


@pytest.mark.django_db
def test_seed_quick_checks_refer_to_content(seed_lesson):
    """The seed's wrong "= B" lines are gone: the MobileNet quick check names the shape."""
    q = Question.objects.get(lesson=seed_lesson, key="mobilenet-output-shape")
    assert "= A" not in q.quick_check and "1000" in q.quick_check
    assert [c.text for c in q.choices.all() if c.is_correct] == ["(1, 1000)"]


def test_loader_section_is_registered():
    from courses.content import _SECTIONS

    assert "questions" in _SECTIONS


EXAM = GOOD.replace(
    "  blueprint: {easy: 1, medium: 1}\n", "  blueprint: {easy: 1, medium: 1}\n  exam: {minutes: 20, blueprint: {medium: 1}}\n"
)


@pytest.mark.django_db
def test_exam_section_sets_the_time_limit_and_blueprint():
    """`exam:` sets the timed exam's minutes and draw; without a blueprint it draws as the test."""
    from quizzes.selectors.exams import exam_plan

    lesson = load(EXAM)
    exam = LessonExamSettings.objects.get(lesson=lesson)
    assert exam.minutes == 20 and exam_plan(lesson) == {"easy": 0, "medium": 1, "hard": 0}
    load(EXAM.replace("exam: {minutes: 20, blueprint: {medium: 1}}", "exam: {minutes: 10}"))
    exam.refresh_from_db()
    assert exam.minutes == 10 and exam.blueprint() is None
    assert exam_plan(lesson) == {"easy": 1, "medium": 1, "hard": 0}
    load(GOOD)  # a file without `exam:` leaves the exam as it is
    exam.refresh_from_db()
    assert exam.minutes == 10


@pytest.mark.django_db
@pytest.mark.parametrize(
    "new, field, words",
    [
        ("exam: {minutes: 0}", "exam.minutes", "below the minimum 1"),
        ("exam: {minutes: soon}", "exam.minutes", "not a whole number"),
        ("exam: {minutes: 20, blueprint: {hard: 3}}", "exam.blueprint", "practice bank has 2"),
        ("exam: {minutes: 20, blueprint: {easy: 0}}", "exam.blueprint", "asks for no questions"),
        ("exam: {minutes: 20, seconds: 5}", "exam.seconds", "unknown field"),
    ],
)
def test_exam_section_errors_name_line_and_field(new, field, words):
    error = error_for(_replace_line(EXAM, "exam: {minutes: 20, blueprint: {medium: 1}}", new))
    assert error.params["source"] == "lesson.yaml" and error.params["line"] == 5, error
    assert field in error.params["field"] and words in error.params["problem"], error
    assert not Question.objects.exists() and not LessonExamSettings.objects.exists()
