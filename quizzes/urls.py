"""URLs of the quiz pages: the model quiz, the lesson's modes, attempts, progress and sign-up."""

from django.urls import path

from quizzes.views import accounts, attempts, drill, exam, flashcards, numbers, practice, quiz, review, sheet

app_name = "quizzes"
urlpatterns = [
    path("lessons/<slug:slug>/quiz/", quiz.quiz_answer, name="quiz_answer"),
    path("lessons/<slug:slug>/quiz/again/", quiz.quiz_restart, name="quiz_restart"),
    path("lessons/<slug:slug>/practice/", practice.practice, name="practice"),
    path("lessons/<slug:slug>/test/", practice.test_start, name="test_start"),
    path("lessons/<slug:slug>/review/", review.review, name="review"),
    path("lessons/<slug:slug>/exam/", exam.exam_start, name="exam"),
    path("lessons/<slug:slug>/drill/", drill.drill, name="drill"),
    path("lessons/<slug:slug>/flashcards/", flashcards.flashcards, name="flashcards"),
    path("lessons/<slug:slug>/numbers/", numbers.numbers, name="numbers"),
    path("lessons/<slug:slug>/sheet/", sheet.sheet, name="sheet"),
    path("courses/<slug:slug>/review/", review.course_review, name="course_review"),
    path("courses/<slug:slug>/flashcards/", flashcards.course_flashcards, name="course_flashcards"),
    path("attempts/<int:pk>/", attempts.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/questions/<int:number>/", attempts.attempt_question, name="question"),
    path("attempts/<int:pk>/questions/<int:number>/answer/", attempts.answer, name="answer"),
    path("attempts/<int:pk>/questions/<int:number>/hint/", attempts.hint, name="hint"),
    path("attempts/<int:pk>/finish/", attempts.finish, name="finish"),
    path("attempts/<int:pk>/result/", attempts.result, name="result"),
    path("progress/", accounts.progress, name="progress"),
    path("questions/<int:pk>/preview/", accounts.question_preview, name="question_preview"),
    path("accounts/signup/", accounts.signup, name="signup"),
]
