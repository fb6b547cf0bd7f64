"""A small world for the security tests: two students with their own quiz attempts and lab
objects, an admin, and one object of every model the admin shows."""

import uuid
from datetime import timedelta
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from courses.content import load_lesson_file
from courses.models import ClassCode, Course, Lesson
from modellab import storage
from modellab.models import Dataset, EpochRecord, Experiment, LabPreset, MeasuredReference, Worker
from quizzes.authoring.questions import ChoiceContent, QuestionContent, QuestionPlace, question_save
from quizzes import scheduler
from quizzes.services.flashcards import flashcard_rate
from quizzes.services.attempts import attempt_start
from quizzes.services.responses import response_submit
from quizzes.services.scores import attempt_finish
from quizzes.identity import Student
from quizzes.grading import letter
from quizzes.models import (
    Source,
    Attempt,
    Choice,
    ExamExtension,
    Flashcard,
    LessonExamSettings,
    LessonQuizSettings,
    Mode,
    Question,
    ReviewItem,
    Role,
)
from tests.conftest import SEED_LESSON
from tests.modellab.conftest import png_bytes

PASSWORD = "a-long-pass-42"


@dataclass
class World:
    lesson: Lesson
    draft: Lesson  # unpublished
    course: Course
    question: Question
    card: Flashcard  # the lesson's first flashcard, which student A has rated once
    practice: Attempt  # student A's unfinished practice attempt
    test_done: Attempt  # student A's finished test, its one answer showing a common mistake
    exam: Attempt  # student A's timed exam, running
    drill: Attempt  # student A's mistake drill round, running
    dataset: Dataset  # student A's upload
    experiment: Experiment  # student A's finished run
    experiment2: Experiment  # student A's queued run
    sweep_group: uuid.UUID  # student A's data-size sweep: two queued runs
    preset: LabPreset  # the lesson's ready-made comparison
    alice: object
    bob: object
    admin: object
    group: Group
    objects: dict  # model class -> an instance, for the admin pages


def write_upload_folder(folder: str) -> dict:
    """An ImageFolder of two classes in the default storage; returns its report."""
    root = storage.local_dir(folder)
    counts = {}
    for cls, colour in (("red", (200, 10, 10)), ("blue", (10, 10, 200))):
        (root / cls).mkdir(parents=True, exist_ok=True)
        for i in range(3):
            (root / cls / f"{cls}{i}.png").write_bytes(png_bytes(colour))
        counts[cls] = 3
    return {"classes": sorted(counts), "counts": counts, "skipped": [], "total_images": sum(counts.values())}


def finished_results(prediction_paths: list[str]) -> dict:
    return {
        "final": {"val_accuracy": 1.0, "val_loss": 0.1},
        "test_accuracy": None,
        "misclassified_count": 0,
        "split_sizes": {"train": 4, "val": 2, "test": 0},
        "device": "cpu",
        "seconds": 1.0,
        "class_names": ["blue", "red"],
        "per_class_accuracy": {"blue": 1.0, "red": 1.0},
        "confusion_matrix": [[1, 0], [0, 1]],
        "predictions": [
            {"path": p, "true": p.split("/")[0], "predicted": p.split("/")[0], "top_k": [[p.split("/")[0], 0.9]]}
            for p in prediction_paths
        ],
        "shape_trace": [{"stage": "input", "shape": "[1, 3, 32, 32]"}],
    }


UPLOAD_DIGEST = "ab" * 32  # the name of an uploaded image's heatmap


def write_takeaways(experiment: Experiment) -> None:
    """A finished run's outputs the learner takes away: its ONNX file and one heatmap (stand-in bytes), in the storage."""
    folder = storage.local_dir(f"{storage.RUNS_ROOT}/{experiment.pk}")
    (folder / "gradcam").mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(b"onnx stand-in")
    (folder / "gradcam" / "0-predicted.png").write_bytes(png_bytes((200, 10, 10)))
    (folder / "uploads").mkdir()
    (folder / "uploads" / f"{UPLOAD_DIGEST}.png").write_bytes(png_bytes((10, 10, 200)))
    name = f"{storage.RUNS_ROOT}/{experiment.pk}"
    experiment.results |= {
        "model_path": f"{name}/model.pt",
        "onnx_path": f"{name}/model.onnx",
        "heatmaps": {"0": {"predicted": {"class": "red", "hottest": "centre", "hot_percent": 10}}},
    }
    experiment.save(update_fields=["results"])


@pytest.fixture
def lab_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_LOCAL_CACHE_DIR = tmp_path / "lab-local"
    settings.LAB_CIFAR_ROOT = tmp_path / "no-cifar"
    settings.LAB_DEVICE = "cpu"
    return Path(settings.MEDIA_ROOT)


def _mistake_answer(attempt: Attempt) -> tuple[int, str]:
    """A question of the attempt and the letter of a wrong choice that shows a common mistake."""
    for qid in attempt.question_ids:
        for i, cid in enumerate(attempt.choice_orders[str(qid)]):
            choice = Choice.objects.get(pk=cid)
            if choice.mistake_id and not choice.is_correct:
                return qid, letter(i)
    raise AssertionError("the seed lesson's test has no choice linked to a common mistake")


@pytest.fixture
def world(db, django_user_model, lab_media, settings) -> World:
    lesson = load_lesson_file(SEED_LESSON).lesson
    course = lesson.course
    draft = Lesson.objects.create(course=course, slug="draft-lesson", title="Draft", published=False)
    alice = django_user_model.objects.create_user("alice", password=PASSWORD)
    bob = django_user_model.objects.create_user("bob", password=PASSWORD)
    admin = django_user_model.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    group = Group.objects.create(name="teachers")
    quiz_settings, _ = LessonQuizSettings.objects.get_or_create(lesson=lesson)

    student = Student(user_id=alice.pk)
    practice = attempt_start(student=student, lesson=lesson, mode=Mode.PRACTICE)
    test_done = attempt_start(student=student, lesson=lesson, mode=Mode.TEST)
    shown_qid, shown_letter = _mistake_answer(test_done)
    response_submit(attempt=test_done, question_id=shown_qid, letters=[shown_letter])
    attempt_finish(attempt=test_done)
    test_done.refresh_from_db()
    exam = attempt_start(student=student, lesson=lesson, mode=Mode.EXAM)
    drill = attempt_start(student=student, lesson=lesson, mode=Mode.DRILL, question_ids=[shown_qid])
    question = Question.objects.filter(lesson=lesson, role=Role.PRACTICE).first()
    review_item = ReviewItem.objects.filter(user=alice).first() or ReviewItem.objects.create(
        question=question, user=alice, due_at=timezone.now()
    )
    card = lesson.flashcards.first()
    flashcard_rate(student=student, lesson=lesson, card_id=card.pk, rating=scheduler.GOOD, seen_reviews=0)

    folder = f"{storage.UPLOAD_ROOT}/u{alice.pk}/fixture"
    dataset = Dataset.objects.create(
        owner=alice, name="alice colours", kind=Dataset.Kind.UPLOAD, folder=folder, report=write_upload_folder(folder)
    )
    now = timezone.now()
    common = dict(owner=alice, dataset=dataset, backbone="tiny", epochs=2, lr=0.01, batch_size=8)
    experiment = Experiment.objects.create(
        **common,
        strategy="scratch",
        status=Experiment.Status.SUCCEEDED,
        queued_at=now,
        started_at=now,
        finished_at=now,
        results=finished_results(["red/red0.png", "blue/blue0.png"]),
    )
    write_takeaways(experiment)
    for epoch in (1, 2):
        EpochRecord.objects.create(
            experiment=experiment,
            epoch=epoch,
            train_loss=1.0 / epoch,
            train_accuracy=0.5,
            val_loss=1.0 / epoch,
            val_accuracy=0.5,
            seconds=0.1,
        )
    experiment2 = Experiment.objects.create(**common, strategy="features", status=Experiment.Status.QUEUED, queued_at=now)
    sweep_group = uuid.uuid4()
    # A's queued run and queued sweep count 2 toward the limit; leave room for the submit the matrix tries.
    settings.LAB_MAX_CONCURRENT_RUNS_PER_USER = 3
    for strategy in ("features", "scratch"):
        Experiment.objects.create(
            **common,
            strategy=strategy,
            status=Experiment.Status.QUEUED,
            queued_at=now,
            sweep_group=sweep_group,
            train_per_class=2,
        )
    preset = LabPreset.objects.get(lesson=lesson, key="ready-made")
    exam_settings = LessonExamSettings.objects.get(lesson=lesson)
    extension = ExamExtension.objects.create(lesson=lesson, user=bob, extra_minutes=10, reason="accommodation")
    worker = Worker.objects.create(hostname="gpu1@host", queues="gpu", device="CPU", started_at=now, heartbeat_at=now)
    # The admin's question pages act on an author's question: a lesson file's is read-only there (its file owns it).
    authored = question_save(
        lesson=lesson,
        key="authored-in-admin",
        source=Source.ADMIN,
        place=QuestionPlace(),
        content=QuestionContent(
            kind="single",
            stem="Which layer trains?",
            choices=(
                ChoiceContent(text="The new head", fraction=Decimal(1)),
                ChoiceContent(text="The frozen backbone", fraction=Decimal(0)),
            ),
        ),
    ).question
    objects = {
        type(o): o
        for o in (
            alice,
            group,
            course,
            lesson,
            authored,
            quiz_settings,
            test_done,
            review_item,
            dataset,
            experiment,
            exam_settings,
            extension,
            worker,
            preset,
            MeasuredReference.objects.get(lesson=lesson),
            ClassCode.objects.create(course=course, name="a class", seats=30, expires_at=now + timedelta(days=7)),
        )
    }
    return World(
        lesson=lesson,
        draft=draft,
        course=course,
        question=question,
        card=card,
        practice=practice,
        test_done=test_done,
        exam=exam,
        drill=drill,
        dataset=dataset,
        experiment=experiment,
        experiment2=experiment2,
        sweep_group=sweep_group,
        preset=preset,
        alice=alice,
        bob=bob,
        admin=admin,
        group=group,
        objects=objects,
    )
