"""The question linter: each rule of quizzes.lint on small questions, `lint_questions` on lesson files
(the key and the line of a finding, the exit status), and the same findings for a stored question in the admin."""

from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from courses.content import content_files
from quizzes.lint import ERROR, LintChoice, LintQuestion, check_blueprint, check_question, statistics_findings
from quizzes.lint_sources import lint_file, lint_lesson, lint_question, lint_text
from quizzes.models import Hint, LessonQuizSettings
from quizzes.statistics import DIFFICULTY_MISMATCH, NEGATIVE_DISCRIMINATION

from tests.conftest import SEED_LESSON

D = Decimal


def question(**changes) -> LintQuestion:
    """A clean single-answer question: every wrong choice explained and linked, hints that point nowhere."""
    base = LintQuestion(
        key="head",
        kind="single",
        difficulty="easy",
        stem="You adapt an ImageNet network to 3 animal classes. Which part do you usually replace?",
        choices=(
            LintChoice("The final fully connected layer", D(1), "It maps features to the classes."),
            LintChoice("The first convolutional layer", D(0), "It detects edges useful anywhere.", 1),
            LintChoice("Every layer, with random weights", D(0), "That is training from scratch.", 2),
        ),
        quick_check="Keep the feature extractor, replace the head.",
        hints=("Which part's size depends on the number of classes?",),
        mistakes=("Thinking the first layers are task-specific", "Retraining everything from random weights"),
        lines={"question": 10, "hints[1]": 20, "quick_check": 19, "choices[2]": 14, "mistakes[2]": 18},
    )
    return replace(base, **changes)


def codes(findings):
    return [f.code for f in findings]


def test_a_clean_question_has_no_findings():
    """The reference question passes every check."""
    assert check_question(question()) == []


@pytest.mark.parametrize(
    "hint, why",
    [
        ("The final fully connected layer.", "repeats the correct answer"),
        ("Think of the one that is *fully connected*.", "words only the correct choice has"),
        ('Be wary of the word "convolutional".', "quotes the words"),
    ],
)
def test_a_hint_that_gives_the_answer_away_is_an_error_at_its_line(hint, why):
    """A hint repeating the correct choice, its own words, or quoting a choice: hint_gives_answer, an error, at the hint's line."""
    [finding] = check_question(question(hints=(hint,)))
    assert (finding.code, finding.severity, finding.key, finding.line) == ("hint_gives_answer", "error", "head", 20)
    assert why in finding.message


def test_a_hint_on_the_topic_is_not_a_giveaway():
    """Words the stem or a wrong choice share (layer, classes) do not single the answer out."""
    assert check_question(question(hints=("Which layer depends on the classes you adapt to?",))) == []


def test_a_quick_check_that_restates_the_answer_warns_only_when_the_summary_sheet_prints_it():
    """The quick check follows the answer; the sheet prints it before any answer for an unlinked mistake."""
    naming = question(quick_check="Replace the final fully connected layer.")
    assert check_question(naming) == []
    unlinked = replace(naming, mistakes=naming.mistakes + ("Forgetting the head",))
    assert codes(check_question(unlinked)) == ["quick_check_gives_answer", "mistake_unlinked"]


def test_mistakes_unlinked_and_near_identical_are_warnings():
    """A mistake no choice links, and two mistakes that say the same, each a warning at the later mistake."""
    q = question(mistakes=("Thinking the first layers are task-specific", "Thinking the first layers are task specific!"))
    found = check_question(q)
    assert codes(found) == ["mistakes_near_identical"] and found[0].line == 18 and found[0].severity == "warning"
    q = question(choices=question().choices[:2] + (replace(question().choices[2], mistake=None),))
    assert codes(check_question(q)) == ["mistake_unlinked"]


def test_choice_checks():
    """No feedback on a wrong choice; a correct choice far longer than every distractor; all of the
    above (an error: choices are shuffled); the same choice twice (an error)."""
    right, first, every = question().choices
    assert codes(check_question(question(choices=(right, replace(first, feedback=""), every)))) == ["wrong_choice_no_feedback"]
    long = replace(right, text="The final fully connected layer, so that it outputs 3 scores instead of ImageNet's 1000")
    assert codes(check_question(question(choices=(long, first, every)))) == ["correct_choice_longest"]
    above = replace(every, text="All of the above")
    assert [(f.code, f.severity) for f in check_question(question(choices=(right, first, above)))] == [
        ("all_or_none_of_the_above", "error")
    ]
    twice = replace(every, text="the FIRST convolutional layer")
    assert [(f.code, f.severity) for f in check_question(question(choices=(right, first, twice)))] == [
        ("duplicate_choices", "error")
    ]


def test_numeric_answers_with_one_value_but_different_tolerances_are_not_duplicates():
    """Moodle's {# =1822:0 =%50%1822:2}: the same number twice, exact and within 2, is one question's design."""
    q = LintQuestion(
        key="year",
        kind="numeric",
        difficulty="easy",
        stem="In which year? Type the year.",
        choices=(LintChoice("1822", D(1)), LintChoice("1822", D("0.5"), "Close.", tolerance=D(2))),
    )
    assert check_question(q) == []
    assert codes(check_question(replace(q, choices=q.choices + (LintChoice("1822", D(0), "No."),)))) == ["duplicate_choices"]


def test_a_typed_stem_must_say_what_form_the_answer_takes():
    """'What comes out?' says nothing of the form; 'What shape comes out?' or 'How many ...' does."""
    q = LintQuestion(
        key="out",
        kind="short",
        difficulty="easy",
        stem="What comes out of the backbone?",
        choices=(LintChoice("8 x 512 x 7 x 7", D(1)),),
    )
    assert codes(check_question(q)) == ["typed_form_unstated"]
    assert check_question(replace(q, stem="What shape comes out of the backbone?")) == []
    numeric = replace(q, kind="numeric", stem="ResNet-18's parameters?", choices=(LintChoice("11.7", D(1)),))
    assert codes(check_question(numeric)) == ["typed_form_unstated"]
    assert check_question(replace(numeric, stem="ResNet-18's parameters, in millions to one decimal?")) == []


def test_statistics_count_from_thirty_responses():
    """The statistics' own flags become findings once a question has 30 responses, not before."""
    flags = [DIFFICULTY_MISMATCH, NEGATIVE_DISCRIMINATION]
    assert statistics_findings("q", 29, flags) == []
    assert codes(statistics_findings("q", 30, flags, line=7)) == ["difficulty_disagrees", "low_discrimination"]
    assert statistics_findings("q", 30, []) == []


def test_a_blueprint_the_bank_cannot_fill():
    """More questions than the bank: an error; a difficulty short (filled from the others): a warning."""
    assert [(f.code, f.severity) for f in check_blueprint("exam", {"easy": 3, "medium": 4, "hard": 3}, {"easy": 9})] == [
        ("blueprint_unfillable", "error")
    ]
    short = check_blueprint("blueprint", {"easy": 3, "medium": 4, "hard": 3}, {"easy": 5, "medium": 4, "hard": 1}, line=4)
    assert [(f.code, f.severity, f.key, f.line) for f in short] == [("blueprint_short_of_difficulty", "warning", "blueprint", 4)]


# --- lesson files -----------------------------------------------------------------------------------

GIVEAWAY = "The final classification layer, so that it outputs 3 scores instead of 1000"


def seed_with_giveaway(tmp_path):
    """A copy of the bundled lesson whose question head-replaced has a hint repeating its correct choice; the hint's line."""
    text = SEED_LESSON.read_text(encoding="utf-8")
    old = "        - Which layer's size depends on the number of classes?\n"
    assert text.count(old) == 1
    path = tmp_path / "giveaway.yaml"
    path.write_text(text.replace(old, f"        - {GIVEAWAY}\n"), encoding="utf-8")
    return path, text[: text.index(old)].count("\n") + 1


@pytest.mark.django_db
def test_lint_questions_fails_a_lesson_whose_hint_repeats_the_correct_choice(tmp_path, capsys):
    """The command names the file, the hint's line, the code and the question's key, and exits with an error."""
    path, line = seed_with_giveaway(tmp_path)
    with pytest.raises(CommandError, match=r"1 file\(s\): \d+ error"):
        call_command("lint_questions", str(path))
    err = capsys.readouterr().err
    assert f"{path}:{line}: error hint_gives_answer: head-replaced: hint 1 gives the answer away" in err


@pytest.mark.django_db
@pytest.mark.parametrize("path", content_files(), ids=lambda p: p.name)
def test_every_bundled_lesson_lints_with_no_errors(path):
    """Each lesson file in content/lessons/ passes the linter: warnings are allowed, errors are not."""
    errors = [f.format(str(path)) for f in lint_file(path) if f.severity == ERROR]
    assert errors == []


@pytest.mark.django_db
def test_lint_questions_without_paths_checks_every_bundled_lesson_and_exits_zero(capsys):
    call_command("lint_questions")
    assert f"{len(content_files())} file(s): 0 error(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_warnings_alone_exit_zero(tmp_path, capsys):
    """A lesson whose only finding is a warning passes, the warning printed with its line."""
    text = SEED_LESSON.read_text(encoding="utf-8")
    start = text.index("questions:")
    head = (
        text[:start]
        + """questions:
  blueprint: {easy: 1, medium: 0, hard: 0}
  practice:
    - key: pick
      difficulty: easy
      stem: Which framework is written in Python?
      choices:
        - {text: Django, correct: true, feedback: Right.}
        - {text: Rails, feedback: Ruby.}
        - {text: Laravel}
"""
    )
    path = tmp_path / "warn.yaml"
    path.write_text(head, encoding="utf-8")
    call_command("lint_questions", str(path))
    out = capsys.readouterr().out
    assert f"{path}:{head.count(chr(10))}: warning wrong_choice_no_feedback: pick:" in out
    assert "1 file(s): 0 error(s), 1 warning(s)." in out


def test_a_file_the_loader_refuses_is_one_error_at_the_loaders_line():
    """A malformed questions section is reported as invalid_file with the loader's line and code."""
    text = "lesson: {slug: x, title: X}\nquestions:\n  practice:\n    - key: a\n      stem: S?\n      difficulty: easy\n"
    [finding] = lint_text(text, "x.yaml")
    assert (finding.code, finding.severity, finding.line) == ("invalid_file", "error", 4)
    assert "[missing_field]" in finding.message


# --- stored questions ---------------------------------------------------------------------------------


def test_a_stored_question_gets_the_same_findings_and_the_admin_shows_them(seed_lesson, client, django_user_model):
    """lint_question on the database copy finds the giveaway hint; the question's admin change page lists it."""
    q = seed_lesson.questions.get(key="head-replaced")
    Hint.objects.filter(question=q).update(text=GIVEAWAY)
    assert "hint_gives_answer" in codes(lint_question(q))
    client.force_login(django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789"))
    page = client.get(reverse("admin:quizzes_question_change", args=[q.pk])).content.decode()
    assert "<code>hint_gives_answer</code>: hint 1 gives the answer away" in page


def test_lint_lesson_checks_the_draw_against_the_active_bank(lesson, make_question):
    """Nine active practice questions cannot fill a 10-question test."""
    for _ in range(9):
        make_question()
    LessonQuizSettings.objects.create(lesson=lesson, easy=3, medium=4, hard=3)
    found = [(f.key, f.code) for f in lint_lesson(lesson) if f.code.startswith("blueprint")]
    assert ("blueprint", "blueprint_unfillable") in found and ("exam", "blueprint_unfillable") in found
