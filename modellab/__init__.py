"""The model lab: datasets, experiments run by Celery workers, and the pages that show them; `engine/` trains."""
