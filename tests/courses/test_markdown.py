"""Markdown rendering: formatting and highlighting kept, scripts and event handlers removed."""

import pytest

from courses.markdown import render_markdown
from courses.models import Lesson


def test_script_and_event_handlers_are_removed():
    """Raw HTML scripts and inline handlers never survive rendering."""
    html = render_markdown('Hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a>')
    assert "<script" not in html
    assert "alert(1)" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_code_blocks_are_highlighted_by_pygments():
    """A fenced Python block comes out with Pygments token spans."""
    html = render_markdown("```python\nimport numpy as np\n```")
    assert '<div class="highlight">' in html
    assert '<span class="kn">import</span>' in html


def test_markdown_formatting_is_kept():
    """Ordinary Markdown still renders."""
    html = render_markdown("**bold** and `code` and [link](https://example.org)")
    assert "<strong>bold</strong>" in html
    assert "<code>code</code>" in html
    assert 'href="https://example.org"' in html


@pytest.mark.django_db
def test_script_in_lesson_markdown_never_reaches_the_page(client, seed_lesson):
    """A script typed into a lesson field is not in the served page."""
    Lesson.objects.filter(pk=seed_lesson.pk).update(
        key_insight="Reuse features.<script>document.title='pwned'</script><p onclick=\"x()\">hi</p>"
    )
    response = client.get(seed_lesson.get_absolute_url())
    page = response.content.decode()
    assert "Reuse features." in page
    assert "pwned" not in page
    assert "onclick" not in page
