"""The student's own pages (sign-up, progress across lessons) and the staff's preview of a question."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import login
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from common.ratelimit import per_client, rate_limit
from courses.classes import class_code_open, class_join
from quizzes.forms import SignupForm, answer_letters, answer_typed
from quizzes.identity import student_for
from quizzes.selectors import reviews
from quizzes.selectors.shown import question_preview as preview_answered


def progress(request):
    student = student_for(request)
    return render(request, "quizzes/progress.html", {"rows": reviews.progress(student=student)})


@staff_member_required
@permission_required("quizzes.view_question", raise_exception=True)
def question_preview(request, pk):
    """The question answered as the author picks (GET: nothing is saved), the correct answer by default."""
    picked = "check" in request.GET
    preview = preview_answered(
        pk=pk, letters=answer_letters(request.GET) if picked else None, typed=answer_typed(request.GET) if picked else None
    )
    return render(request, "quizzes/preview.html", {"preview": preview, "shown": preview.shown, "answered": preview.answered})


def _with_open_class_code(request) -> bool:
    """A sign-up naming an open class code: its seats bound it, not the per-address limit."""
    return class_code_open(code=request.POST.get("class_code", "")) is not None


@require_http_methods(["GET", "POST"])
@rate_limit("signup", per=per_client, exempt=_with_open_class_code)
def signup(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = SignupForm(request.POST or None, initial={"class_code": request.GET.get("class", "")})
    user = None
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["class_code"].strip():
            try:
                user = class_join(code=form.cleaned_data["class_code"], create_user=form.save)
            except ValidationError as exc:
                form.add_error("class_code", exc)
        else:
            user = form.save()
    if user is not None:
        # login() fires user_logged_in, which carries the anonymous attempts over.
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        joined = getattr(getattr(user, "class_membership", None), "class_code", None)
        messages.success(
            request,
            "Welcome! Your progress so far is saved to your account."
            + (f" You joined {joined.name} ({joined.course.title})." if joined else ""),
        )
        return HttpResponseRedirect(next_url or reverse("quizzes:progress"))
    return render(request, "registration/signup.html", {"form": form, "next": next_url})
