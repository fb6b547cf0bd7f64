"""The quiz app's configuration: registers the lesson file's `questions:` section and the login signal."""
from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from courses.content import register_section
        from courses.modes import register_mode_state
        from quizzes import signals  # noqa: F401 - connects the login handler
        from quizzes.content import save_questions, validate_questions
        from quizzes.flashcard_content import save_flashcards, validate_flashcards
        from quizzes.flashcard_views import flashcards_state
        from quizzes.mode_states import drill_state, exam_state

        register_section("questions", validate=validate_questions, save=save_questions)
        register_section("flashcards", validate=validate_flashcards, save=save_flashcards)
        register_mode_state("flashcards", flashcards_state)
        register_mode_state("exam", exam_state)
        register_mode_state("drill", drill_state)
