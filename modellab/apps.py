from django.apps import AppConfig


class ModellabConfig(AppConfig):
    name = "modellab"
    default_auto_field = "django.db.models.BigAutoField"
