"""The quiz app's configuration: registers the lesson file's `questions:` and `flashcards:` sections, the
mode picker's state lines and conditions, and the login signal."""
from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses.content import register_section
        from courses.modes import register_mode_condition, register_mode_state
        from quizzes import mode_states
        from quizzes import signals  # noqa: F401 - connects the login handler
        from quizzes.content import save_questions, validate_questions
        from quizzes.flashcard_content import save_flashcards, validate_flashcards
        from quizzes.flashcard_views import flashcards_state
        from quizzes.numbers_views import numbers_unavailable

        register_section("questions", validate=validate_questions, save=save_questions)
        register_section("flashcards", validate=validate_flashcards, save=save_flashcards)
        register_mode_state("practice", mode_states.practice_state)
        register_mode_state("test", mode_states.test_state)
        register_mode_state("review", mode_states.review_state)
        register_mode_state("flashcards", flashcards_state)
        register_mode_state("exam", mode_states.exam_state)
        register_mode_state("drill", mode_states.drill_state)
        register_mode_state("numbers", mode_states.numbers_state)
        register_mode_condition("numbers", numbers_unavailable)
