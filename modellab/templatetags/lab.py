"""Template tags of the lab's data on any page: a lesson's latest comparison, server text made public."""
from django import template

from modellab import public_text as text
from modellab import selectors
from modellab.trace import overlay_chart

register = template.Library()


@register.simple_tag(takes_context=True)
def lab_lesson_comparison(context, lesson):
    """The signed-in user's latest finished comparison started from ``lesson``:
    {"experiments": [...], "chart": SVG} or None."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return None
    experiments = selectors.lesson_latest_comparison(user=user, lesson_slug=lesson.slug)
    if not experiments:
        return None
    traces = [(e.label, selectors.experiment_epochs(experiment=e)) for e in experiments]
    return {
        "experiments": experiments,
        "ids_query": "&".join(f"ids={e.pk}" for e in experiments),
        "chart": overlay_chart(traces, metric="val_accuracy", chart_id="lesson-lab-chart"),
        "rows": [(e, records) for e, (_, records) in zip(experiments, traces)],
    }


@register.filter
def public_text(value) -> str:
    """A stored reason (a run's failure, a skipped file's detail) without server paths or object reprs."""
    return text.public_text(str(value or ""))
