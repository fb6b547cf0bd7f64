"""Turn each review item's SM-2 state into FSRS's, keeping its due date (scheduler.memory_from_sm2).

Backwards this does nothing: the due dates never changed, and 0002's fields are dropped
again, so a review deck migrated back keeps when each question is due and restarts SM-2's
easiness and repetitions from their defaults.
"""
from django.db import migrations

from quizzes.scheduler import memory_from_sm2

BATCH = 500


def sm2_to_fsrs(apps, schema_editor):
    ReviewItem = apps.get_model("quizzes", "ReviewItem")
    batch = []
    for item in ReviewItem.objects.order_by("pk").iterator(chunk_size=BATCH):
        memory = memory_from_sm2(
            easiness=item.easiness, repetitions=item.repetitions, interval_days=item.interval_days,
            due=item.due_at, last_reviewed=item.last_reviewed_at,
        )
        item.state, item.step, item.stability, item.difficulty = memory.state, memory.step, memory.stability, memory.difficulty
        item.last_reviewed_at = memory.last_review
        batch.append(item)
        if len(batch) == BATCH:
            ReviewItem.objects.bulk_update(batch, ["state", "step", "stability", "difficulty", "last_reviewed_at"])
            batch = []
    ReviewItem.objects.bulk_update(batch, ["state", "step", "stability", "difficulty", "last_reviewed_at"])


class Migration(migrations.Migration):

    dependencies = [("quizzes", "0003_review_item_fsrs_fields")]

    operations = [migrations.RunPython(sm2_to_fsrs, migrations.RunPython.noop)]
