"""The lab in the admin: datasets, experiments with their epoch rows, workers, and the "Lab status" page."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from modellab import broker
from modellab.models import Dataset, EpochRecord, Experiment, Worker
from modellab.selectors import lab_status


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
    list_display = ("id", "owner", "dataset", "backbone", "strategy", "status", "attempts", "worker_hostname", "device",
                    "queued_at", "finished_at")
    list_filter = ("status", "strategy", "backbone")
    search_fields = ("owner__username", "worker_hostname", "failure_reason", "failure_code")
    readonly_fields = (
        "status", "failure_reason", "failure_code", "attempts", "worker_hostname", "worker_pid", "device", "heartbeat_at",
        "cancel_requested", "comparison_group", "created_at", "queued_at", "started_at", "finished_at", "results",
    )
    inlines = [EpochRecordInline]


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    """Workers write their own records; an admin reads them, or deletes one of a machine that is gone."""

    list_display = ("hostname", "queues", "device", "torch_version", "heartbeat_at", "started_at")
    readonly_fields = ("hostname", "queues", "device", "torch_version", "pid", "started_at", "heartbeat_at")
    change_list_template = "admin/modellab/worker_changelist.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        status = path("status/", self.admin_site.admin_view(self.status_view), name="modellab_lab_status")
        return [status, *super().get_urls()]

    def status_view(self, request):
        """Lab status: the workers seen, queue depth per queue (read from the broker), runs by state.
        Staff who may view workers (the admin's own rule for their list)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Lab status",
            "opts": self.model._meta,
            "status": lab_status(),
            "queues": broker.queue_depths(),
        }
        return TemplateResponse(request, "admin/modellab/lab_status.html", context)
