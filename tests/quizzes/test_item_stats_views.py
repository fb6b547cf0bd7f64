"""Item statistics from stored test attempts (selector, admin page, CSV) and the admin import/export pages.

The hand-computed matrix (1 = right, 0 = wrong), questions q1 q2 q3, one test attempt each:

    student  q1 q2 q3  total
    A         1  1  1    3
    B         1  0  1    2
    C         0  1  0    1
    D         0  0  0    0

q1: facility 50%, SD sqrt(1/3) = 57.74%, rest of test y = 2,1,1,0: Cov = 1/3, Var y = 2/3,
D = (1/3) / sqrt(1/3 * 2/3) = 70.71%, sorted pairs give CovMax = 1/3 so DE = 100%.
q2: rest y = 2,2,0,0, Cov = 0 so D = 0.
Test: totals 3,2,1,0: mean = median = 1.5 (50%), SD sqrt(5/3); CIC = 3/2 * (1 - 1/(5/3)) = 60%,
error ratio sqrt(0.4) = 63.25%, standard error 0.6325 * sqrt(5/3) = 0.8165 (27.22% of 3).
Repeating the four rows three times (12 students) leaves every one of those numbers unchanged.
"""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courses.models import Course, Lesson
from quizzes.grading import letter
from quizzes.identity import Student
from quizzes.models import Attempt, Choice, LessonQuizSettings, Mode, Question, Response
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.stats_report import rows_sorted, statistics_csv
from quizzes.stats_selectors import lesson_item_statistics

PATTERN = {"A": (1, 1, 1), "B": (1, 0, 1), "C": (0, 1, 0), "D": (0, 0, 0)}


@pytest.fixture
def lesson(db):
    course = Course.objects.create(title="Course", slug="course")
    lesson = Lesson.objects.create(course=course, slug="stats", title="Stats lesson", published=True)
    LessonQuizSettings.objects.create(lesson=lesson, easy=3, medium=0, hard=0)
    for n in (1, 2, 3):
        q = Question.objects.create(lesson=lesson, key=f"q{n}", position=n, stem=f"Question {n}?", difficulty="easy")
        Choice.objects.create(question=q, position=1, text="right", fraction=1)
        Choice.objects.create(question=q, position=2, text="wrong one", fraction=0)
        Choice.objects.create(question=q, position=3, text="wrong two", fraction=0)
    return lesson


def _take_test(lesson, user, marks):
    """A finished test through the quiz services: right answers where marks has 1, else 'wrong one'."""
    attempt = attempt_start(student=Student(user_id=user.pk), lesson=lesson, mode=Mode.TEST)
    for n, mark in zip((1, 2, 3), marks, strict=True):
        q = Question.objects.get(lesson=lesson, key=f"q{n}")
        choice = q.choices.get(text="right" if mark else "wrong one")
        order = attempt.choice_orders[str(q.id)]
        response_submit(attempt=attempt, question_id=q.id, letters=[letter(order.index(choice.id))])
    attempt.refresh_from_db()
    assert attempt.finished
    return attempt


def _students(lesson, copies=1):
    User = get_user_model()
    users = {}
    for copy in range(copies):
        for name, marks in PATTERN.items():
            users[f"{name}{copy}"] = user = User.objects.create_user(f"{name}{copy}", password="pw-123456789")
            _take_test(lesson, user, marks)
    return users


def _row(stats, key):
    return next(r for r in stats.rows if r.question.key == key)


def test_hand_computed_matrix(lesson):
    """The selector feeds stored attempts to Moodle's formulas: the numbers in the module docstring."""
    _students(lesson)
    stats = lesson_item_statistics(lesson=lesson, min_attempts=3)
    assert stats.attempts == 4 and stats.common_questions
    q1, q2 = _row(stats, "q1").stats, _row(stats, "q2").stats
    assert q1.facility == pytest.approx(50) and q1.sd == pytest.approx(57.735, abs=1e-3)
    assert q1.discrimination_index == pytest.approx(70.711, abs=1e-3)
    assert q1.discriminative_efficiency == pytest.approx(100)
    assert q2.discrimination_index == pytest.approx(0, abs=1e-9)
    t = stats.test
    assert t.mean_percent == pytest.approx(50) and t.median_percent == pytest.approx(50)
    assert t.sd == pytest.approx((5 / 3) ** 0.5)
    assert t.cic == pytest.approx(60) and t.error_ratio == pytest.approx(63.246, abs=1e-3)
    assert t.standard_error == pytest.approx(0.8165, abs=1e-4)
    # distractor analysis: 'wrong two' was never picked
    choices = {c.text: (c.count, c.percent) for c in _row(stats, "q1").choices}
    assert choices == {"right": (2, 50.0), "wrong one": (2, 50.0), "wrong two": (0, 0.0)}
    assert "weak_distractor" in _row(stats, "q1").flag_codes
    # labelled easy, facility 50%: no mismatch; negative discrimination: none
    assert "difficulty_mismatch" not in _row(stats, "q1").flag_codes


def test_first_attempt_by_default_all_on_request(lesson):
    """A student's second test attempt counts only with all_attempts."""
    users = _students(lesson)
    _take_test(lesson, users["A0"], (0, 0, 0))
    first = lesson_item_statistics(lesson=lesson, min_attempts=3)
    every = lesson_item_statistics(lesson=lesson, all_attempts=True, min_attempts=3)
    assert first.attempts == 4 and every.attempts == 5
    assert _row(first, "q1").stats.facility == pytest.approx(50)
    assert _row(every, "q1").stats.facility == pytest.approx(40)


def test_too_few_attempts_gives_no_numbers(lesson):
    """Under ten attempts the sample statistics are withheld and flagged."""
    _students(lesson)
    stats = lesson_item_statistics(lesson=lesson)
    row = _row(stats, "q1")
    assert row.too_few and row.stats.discrimination_index is None
    assert stats.too_few and stats.test.cic is None
    line = next(r for r in csv.reader(io.StringIO(statistics_csv(stats))) if r[:2] == ["question", "q1"])
    assert line[6:11] == ["", "", "", "", ""] and line[-1] == "too few attempts to judge"


def test_attempts_with_different_questions(lesson):
    """Questions drawn into only some attempts are judged over the attempts that asked them."""
    User = get_user_model()
    q1, q2, q3 = (Question.objects.get(lesson=lesson, key=k) for k in ("q1", "q2", "q3"))
    for i, (ids, marks) in enumerate([((q1, q2), (1, 0)), ((q1, q3), (0, 1)), ((q2, q3), (1, 1))]):
        user = User.objects.create_user(f"s{i}")
        attempt = Attempt.objects.create(mode=Mode.TEST, lesson=lesson, user=user, question_ids=[q.id for q in ids])
        for q, mark in zip(ids, marks, strict=True):
            right, wrong = q.choices.get(text="right"), q.choices.get(text="wrong one")
            Response.objects.create(
                attempt=attempt,
                question=q,
                chosen_choice_ids=[(right if mark else wrong).id],
                correct=bool(mark),
                marks=mark,
                answered_at=attempt.started_at,
            )
        Attempt.objects.filter(pk=attempt.pk).update(finished_at=attempt.started_at)
    stats = lesson_item_statistics(lesson=lesson, min_attempts=2)
    assert not stats.common_questions
    assert [(r.question.key, r.stats.n, r.stats.facility) for r in stats.rows] == [
        ("q1", 2, 50.0),
        ("q2", 2, 50.0),
        ("q3", 2, 100.0),
    ]
    assert _row(stats, "q1").stats.effective_weight is None
    assert stats.test.n == 3 and stats.test.mean_percent == pytest.approx(100 * (1 + 1 + 2) / 3 / 2)


def test_sort_any_column(lesson):
    """Rows sort by any column, descending with '-', empty values last."""
    _students(lesson)
    stats = lesson_item_statistics(lesson=lesson, min_attempts=3)
    assert [r.question.key for r in rows_sorted(stats.rows, "-discrimination")][0] in ("q1", "q3")
    assert [r.question.key for r in rows_sorted(stats.rows, "discrimination")][0] == "q2"
    assert [r.question.key for r in rows_sorted(stats.rows, "-key")] == ["q3", "q2", "q1"]


# ---------------------------------------------------------------------------------------------
# Admin pages


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "a@example.com", "pw-123456789")
    client.force_login(user)
    return client


def test_statistics_page_with_enough_attempts(lesson, staff_client):
    """Twelve students: the page shows the hand-computed numbers, sorted on request."""
    _students(lesson, copies=3)
    url = reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])
    page = staff_client.get(url, {"o": "-discrimination"}).content.decode()
    assert "70.71" in page and "60.00" in page and "100.00" in page
    assert page.index('data-key="q2"') > page.index('data-key="q1"')
    assert "too few attempts" not in page.lower()
    page = staff_client.get(url, {"o": "discrimination"}).content.decode()
    assert page.index('data-key="q2"') < page.index('data-key="q1"')


def test_statistics_page_too_few(lesson, staff_client):
    """With four attempts the page says so instead of showing numbers."""
    _students(lesson)
    page = staff_client.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert "Too few attempts to judge" in page
    assert "70.71" not in page


def test_statistics_csv(lesson, staff_client):
    """The CSV has a row per question and per choice, with the same numbers."""
    _students(lesson, copies=3)
    response = staff_client.get(reverse("admin:quizzes_lesson_statistics_csv", args=[lesson.pk]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    q1 = next(r for r in rows if r["row"] == "question" and r["question"] == "q1")
    assert (q1["attempts"], q1["facility_pct"], q1["discrimination_index_pct"]) == ("12", "50.00", "70.71")
    wrong_two = next(r for r in rows if r["row"] == "choice" and r["question"] == "q1" and r["choice"] == "wrong two")
    assert wrong_two["choice_count"] == "0" and wrong_two["flags"] == "weak_distractor"


def test_page_and_csv_show_the_same_statistics_in_the_same_order(lesson, staff_client):
    """Each statistic heads a sortable column of the page and a column of the CSV, in one order."""
    _students(lesson, copies=3)
    url = reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])
    page = staff_client.get(url).content.decode()
    table = page[page.index('id="question-statistics"') : page.index("</thead>", page.index('id="question-statistics"'))]
    headings = re.findall(r'<a href="\?o=(-?\w+)[^"]*">([^<]+)</a>', table)
    assert [h for _, h in headings] == [
        "#",
        "Question",
        "Difficulty",
        "Attempts",
        "Facility index",
        "Standard deviation",
        "Discrimination index",
        "Discriminative efficiency",
        "Effective weight",
        "Flags",
    ]
    header = next(csv.reader(io.StringIO(statistics_csv(lesson_item_statistics(lesson=lesson)))))
    assert [name for name in header if name.endswith("_pct") and name != "choice_pct"] == [
        "facility_pct",
        "sd_pct",
        "discrimination_index_pct",
        "discriminative_efficiency_pct",
        "effective_weight_pct",
    ]
    for key, _ in headings:  # every heading's link sorts by its column
        sorted_page = staff_client.get(url, {"o": key.lstrip("-")}).content.decode()
        assert sorted_page.count("sortable sorted ascending") == 1, key


@pytest.mark.parametrize("name", ["statistics", "statistics_csv", "import", "export"])
def test_pages_are_staff_only(lesson, client, django_user_model, name):
    """A signed-in student is sent to the admin login."""
    client.force_login(django_user_model.objects.create_user("student", password="pw-123456789"))
    response = client.get(reverse(f"admin:quizzes_lesson_{name}", args=[lesson.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_admin_import_upload_gift(lesson, staff_client):
    """Uploading a GIFT file shows the report and saves the questions."""
    url = reverse("admin:quizzes_lesson_import", args=[lesson.pk])
    assert staff_client.get(url).status_code == 200
    upload = SimpleUploadedFile("q.gift", b"::new-one::Pick {=yes ~no}\n\nBroken {=a ~b\n\nMatch {=a -> b =c -> d}\n")
    page = staff_client.post(url, {"file": upload, "format": ""}).content.decode()
    assert "line 1: saved single question &#x27;new-one&#x27;" in page
    assert "line 3: rejected" in page and "line 5: not imported, unsupported question type &#x27;matching&#x27;" in page
    assert Question.objects.filter(lesson=lesson, key="new-one").exists()
    assert Question.objects.filter(lesson=lesson).count() == 4


def test_admin_import_upload_aiken_and_binary(lesson, staff_client):
    """Aiken uploads import; a binary upload is refused with its line and nothing is saved."""
    url = reverse("admin:quizzes_lesson_import", args=[lesson.pk])
    aiken = SimpleUploadedFile("q.txt", b"Pick?\nA) yes\nB) no\nANSWER: A\n")
    staff_client.post(url, {"file": aiken, "format": "aiken"})
    assert Question.objects.filter(lesson=lesson).count() == 4
    binary = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n\x00")
    page = staff_client.post(url, {"file": binary, "format": ""}).content.decode()
    assert "x.png: line 1: The file is not a text file" in page
    assert Question.objects.filter(lesson=lesson).count() == 4


def test_lesson_export_and_changelist_actions(lesson, staff_client):
    """The lesson export link and the changelist actions download GIFT and Aiken."""
    response = staff_client.get(reverse("admin:quizzes_lesson_export", args=[lesson.pk]), {"format": "gift"})
    assert "attachment" in response["Content-Disposition"] and "::q1::" in response.content.decode()
    ids = list(Question.objects.filter(lesson=lesson, key__in=["q1", "q2"]).values_list("pk", flat=True))
    changelist = reverse("admin:quizzes_question_changelist")
    gift = staff_client.post(changelist, {"action": "export_as_gift", "_selected_action": ids})
    assert gift.content.decode().count("::q") == 2
    aiken = staff_client.post(changelist, {"action": "export_as_aiken", "_selected_action": ids})
    assert aiken.content.decode().count("ANSWER: A") == 2


def test_flags_shown_as_text_and_zero_variance(lesson, staff_client, django_user_model):
    """Ten students all right: a question labelled hard is flagged; no variance gives no D, not an error."""
    Question.objects.filter(lesson=lesson, key="q1").update(difficulty="hard")
    for i in range(10):
        _take_test(lesson, django_user_model.objects.create_user(f"all-right-{i}"), (1, 1, 1))
    stats = lesson_item_statistics(lesson=lesson)
    q1 = _row(stats, "q1")
    assert q1.stats.facility == 100 and q1.stats.discrimination_index is None
    assert "difficulty_mismatch" in q1.flag_codes and "weak_distractor" in q1.flag_codes
    page = staff_client.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert "difficulty_mismatch</strong>: labelled hard but 100% of the available marks were scored" in page


def test_lesson_changelist_links(lesson, staff_client):
    """The lessons list links each lesson to its question statistics and import pages."""
    page = staff_client.get(reverse("admin:courses_lesson_changelist")).content.decode()
    assert reverse("admin:quizzes_lesson_statistics", args=[lesson.pk]) in page
    assert reverse("admin:quizzes_lesson_import", args=[lesson.pk]) in page


def test_the_export_section_names_what_aiken_skips_and_loses(seed_lesson, staff_client):
    """Beside each download link the page lists the questions the format skips and the stems whose layout it loses."""
    page = staff_client.get(reverse("admin:quizzes_lesson_import", args=[seed_lesson.pk])).content.decode()
    section = page[page.index('id="export-report"') :]
    assert (
        "skipped &#x27;benefits-multiple&#x27;: Aiken holds one correct choice, not multiple answers [aiken_multiple_answers]"
        in section
    )
    assert (
        "&#x27;which-params-train&#x27;: the indentation and blank lines of its text are lost [aiken_stem_layout_lost]" in section
    )
    assert "skipped &#x27;resnet18-head-outputs&#x27;" in section and "[aiken_typed_kind]" in section


def test_the_weak_distractor_flag_names_choices_by_letter_and_text(lesson, staff_client):
    """Twelve students never pick 'wrong two': the flag says "C (wrong two)", never a database id; the page letters the choices."""
    _students(lesson, copies=3)
    q1 = _row(lesson_item_statistics(lesson=lesson), "q1")
    (flag,) = [f for f in q1.flags if f.code == "weak_distractor"]
    assert flag.message.endswith(": C (wrong two)")
    assert str(Choice.objects.get(question=q1.question, text="wrong two").id) not in flag.message
    assert [(c.letter, c.text) for c in q1.choices] == [("A", "right"), ("B", "wrong one"), ("C", "wrong two")]
    page = staff_client.get(reverse("admin:quizzes_lesson_statistics", args=[lesson.pk])).content.decode()
    assert "<td>C. wrong two</td>" in page and "1 wrong choice(s) picked by under 5%: C (wrong two)" in page
