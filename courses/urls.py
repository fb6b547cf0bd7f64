"""URLs of the lesson pages: home, a course, a lesson and its staff preview."""

from django.urls import path

from courses import views

app_name = "courses"
urlpatterns = [
    path("", views.home, name="home"),
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson"),
    path("lessons/<slug:slug>/preview/", views.lesson_preview, name="lesson_preview"),
]
