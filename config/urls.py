"""The site's URLs: the admin, the lab, lessons and quizzes, and Django's auth views behind a rate limit."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.ratelimit import rate_limit

urlpatterns = [
    path("admin/", admin.site.urls),
    path("lab/", include("modellab.urls")),
    path("", include("courses.urls")),
    path("", include("quizzes.urls")),
    # Log-in and password reset are Django's views behind a rate limit; the rest of
    # django.contrib.auth.urls as they are.
    path("accounts/login/", rate_limit("login")(auth_views.LoginView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        rate_limit("password_reset")(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]
