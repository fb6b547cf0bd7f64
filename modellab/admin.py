from django.contrib import admin

from modellab.models import Dataset, EpochRecord, Experiment


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "folder", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "owner__username", "folder")
    readonly_fields = ("folder", "report", "created_at")


class EpochRecordInline(admin.TabularInline):
    model = EpochRecord
    extra = 0
    can_delete = False
    readonly_fields = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "dataset", "backbone", "strategy", "status", "attempts", "worker_hostname", "queued_at", "finished_at")
    list_filter = ("status", "strategy", "backbone")
    search_fields = ("owner__username", "worker_hostname", "failure_reason")
    readonly_fields = (
        "status", "failure_reason", "attempts", "worker_hostname", "worker_pid", "heartbeat_at", "cancel_requested",
        "comparison_group", "created_at", "queued_at", "started_at", "finished_at", "results",
    )
    inlines = [EpochRecordInline]
