"""The quiz app's models, one module a job: the bank, attempts, FSRS schedules (reviews and
flashcards) and exam settings; imported from here as before (``from quizzes.models import Question``)."""

from quizzes.models.attempts import FEEDBACK_AT_END_MODES, Attempt, Mode, Response
from quizzes.models.bank import (
    Choice,
    Difficulty,
    Hint,
    Kind,
    LessonQuizSettings,
    Mistake,
    Question,
    QuestionPart,
    Role,
    SolutionStep,
    Source,
)
from quizzes.models.exams import EMPTY_EXTENSION, EXAM_DEFAULT_MINUTES, PARTIAL_EXAM_BLUEPRINT, ExamExtension, LessonExamSettings
from quizzes.models.reviews import Flashcard, FlashcardSchedule, ReviewItem, Scheduled

__all__ = [
    "Attempt",
    "Choice",
    "FEEDBACK_AT_END_MODES",
    "Difficulty",
    "EMPTY_EXTENSION",
    "EXAM_DEFAULT_MINUTES",
    "ExamExtension",
    "Flashcard",
    "FlashcardSchedule",
    "Hint",
    "Kind",
    "LessonExamSettings",
    "LessonQuizSettings",
    "Mistake",
    "Mode",
    "PARTIAL_EXAM_BLUEPRINT",
    "Question",
    "QuestionPart",
    "Response",
    "ReviewItem",
    "Role",
    "Scheduled",
    "SolutionStep",
    "Source",
]
