"""URLs of the quiz pages: the model quiz, the lesson's modes, attempts, progress and sign-up."""
from django.urls import path

from quizzes import drill_views, exam_views, flashcard_views, numbers_views, sheet_views, views

app_name = "quizzes"
urlpatterns = [
    path("lessons/<slug:slug>/quiz/", views.quiz_answer, name="quiz_answer"),
    path("lessons/<slug:slug>/quiz/again/", views.quiz_restart, name="quiz_restart"),
    path("lessons/<slug:slug>/practice/", views.practice, name="practice"),
    path("lessons/<slug:slug>/test/", views.test_start, name="test_start"),
    path("lessons/<slug:slug>/review/", views.review, name="review"),
    path("lessons/<slug:slug>/exam/", exam_views.exam_start, name="exam"),
    path("lessons/<slug:slug>/drill/", drill_views.drill, name="drill"),
    path("lessons/<slug:slug>/flashcards/", flashcard_views.flashcards, name="flashcards"),
    path("lessons/<slug:slug>/numbers/", numbers_views.numbers, name="numbers"),
    path("lessons/<slug:slug>/sheet/", sheet_views.sheet, name="sheet"),
    path("attempts/<int:pk>/", views.attempt_detail, name="attempt"),
    path("attempts/<int:pk>/questions/<int:number>/", views.attempt_question, name="question"),
    path("attempts/<int:pk>/questions/<int:number>/answer/", views.answer, name="answer"),
    path("attempts/<int:pk>/questions/<int:number>/hint/", views.hint, name="hint"),
    path("attempts/<int:pk>/finish/", views.finish, name="finish"),
    path("attempts/<int:pk>/result/", views.result, name="result"),
    path("progress/", views.progress, name="progress"),
    path("questions/<int:pk>/preview/", views.question_preview, name="question_preview"),
    path("accounts/signup/", views.signup, name="signup"),
]
