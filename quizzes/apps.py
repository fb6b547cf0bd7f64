"""The quiz app's configuration: registers the lesson file's `questions:` and `flashcards:` sections, each mode's
line and condition in the mode picker, its columns on the course page, the flashcards inline on the lesson's admin page, and the login signal."""

from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses.admin import register_lesson_inline
        from courses.content import register_section
        from courses.modes import register_mode_condition, register_mode_state
        from courses.progress import register_progress_column
        from quizzes import signals  # noqa: F401 - connects the login handler
        from quizzes.admin import FlashcardInline
        from quizzes.content import save_questions, validate_questions
        from quizzes.services.flashcards import save_flashcards, validate_flashcards
        from quizzes.views import course, drill, exam, flashcards, numbers, practice, review

        register_section("questions", validate=validate_questions, save=save_questions)
        register_section("flashcards", validate=validate_flashcards, save=save_flashcards)
        register_mode_state("practice", practice.practice_state)
        register_mode_state("test", practice.test_state)
        register_mode_state("review", review.review_state)
        register_mode_state("flashcards", flashcards.flashcards_state)
        register_mode_state("exam", exam.exam_state)
        register_mode_state("drill", drill.drill_state)
        register_mode_state("numbers", numbers.numbers_state)
        register_mode_condition("numbers", numbers.numbers_unavailable)
        register_lesson_inline(FlashcardInline)
        register_progress_column("read", "Read", course.read_column)
        register_progress_column("answered", "Questions answered", course.answered_column)
        register_progress_column("test", "Best test", course.test_column)
