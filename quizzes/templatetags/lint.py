"""Template tag of the question linter: `{% load lint %}{% question_lint question %}` lists a stored question's findings."""

from django import template

from quizzes.lint_sources import lint_question

register = template.Library()


@register.inclusion_tag("quizzes/_lint_findings.html")
def question_lint(question):
    """The linter's findings of a stored question (quizzes.lint_sources.lint_question), as a list."""
    return {"findings": lint_question(question)}
