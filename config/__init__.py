"""The project package: settings, URLs and the Celery app, which is loaded with Django so tasks can be queued."""

from .celery import app as celery_app

__all__ = ("celery_app",)
