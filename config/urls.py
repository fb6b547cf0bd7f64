"""The site's URLs: the health check, the admin, the lab, lessons and quizzes, and Django's auth views behind a rate limit."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import health
from common.ratelimit import per_client, rate_limit
from quizzes.forms import QueuedPasswordResetForm

# Forms anyone may post are counted per client address whatever the session (signing in
# must not start a fresh count); log-ins also per account named, from any address.
login_limit = rate_limit("login", per=per_client, account_field="username")

urlpatterns = [
    path("health/", health, name="health"),
    # The admin's log-in is a log-in too: the same limits, ahead of the admin's own route.
    path("admin/login/", login_limit(admin.site.login)),
    path("admin/", admin.site.urls),
    path("lab/", include("modellab.urls")),
    path("", include("courses.urls")),
    path("", include("quizzes.urls")),
    # Log-in and password reset are Django's views behind a rate limit (the reset mail is
    # queued, see quizzes.services.accounts); the rest of django.contrib.auth.urls as they are.
    path("accounts/login/", login_limit(auth_views.LoginView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        rate_limit("password_reset", per=per_client)(auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm)),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]

handler400 = "config.errors.bad_request"
