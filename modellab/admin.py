"""The lab in the admin: datasets, experiments (and publishing one as a lesson's measured reference), workers and
the "Lab status" page (with what this server cannot offer and how to fix it), lesson presets and measured references."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from modellab import broker
from modellab.builtins import BUILTINS
from modellab.eta_selectors import active_runs_eta
from modellab.models import Dataset, EpochRecord, Experiment, LabPreset, MeasuredReference, Worker
from modellab.selectors import lab_status
from modellab.services.measured import measured_publish, measured_to_yaml


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
    list_display = (
        "id",
        "owner",
        "dataset",
        "backbone",
        "strategy",
        "status",
        "attempts",
        "worker_hostname",
        "device",
        "queued_at",
        "finished_at",
    )
    list_filter = ("status", "strategy", "backbone")
    search_fields = ("owner__username", "worker_hostname", "failure_reason", "failure_code")
    readonly_fields = (
        "status",
        "failure_reason",
        "failure_code",
        "attempts",
        "worker_hostname",
        "worker_pid",
        "device",
        "heartbeat_at",
        "cancel_requested",
        "comparison_group",
        "sweep_group",
        "progress",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "results",
    )
    inlines = [EpochRecordInline]
    actions = ["publish_measured_reference"]

    @admin.action(
        description="Publish as its lesson's measured reference (succeeded comparisons and at most one sweep, of one lesson)"
    )
    def publish_measured_reference(self, request, queryset):
        try:
            reference = measured_publish(experiments=list(queryset))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
            return
        self.message_user(
            request,
            f"Published on the lesson {reference.lesson.title!r}: {len(reference.runs)} run(s), "
            f"{len(reference.sweep)} sweep point(s). To ship it with the lesson, download it as YAML from "
            "Measured references and put it into the lesson's file.",
            level=messages.SUCCESS,
        )


def unavailable_here() -> list[tuple[str, str]]:
    """(name, what to do) of each backbone and built-in dataset this web process cannot offer: the
    instructions and server paths that learner pages leave out."""
    from modellab import engine

    missing = [(b.label, b.unavailable_reason) for b in engine.list_backbones() if not b.available]
    for builtin in BUILTINS.values():
        if builtin.unavailable_reason():
            missing.append((builtin.name, f"{builtin.unavailable_reason()} {builtin.setup_hint()}"))
    return missing


@admin.register(Worker)
class WorkerAdmin(admin.ModelAdmin):
    """Workers write their own records; an admin reads them, or deletes one of a machine that is gone."""

    list_display = ("hostname", "queues", "concurrency", "device", "torch_version", "heartbeat_at", "started_at")
    readonly_fields = ("hostname", "queues", "concurrency", "device", "torch_version", "pid", "started_at", "heartbeat_at")
    change_list_template = "admin/modellab/worker_changelist.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        status = path("status/", self.admin_site.admin_view(self.status_view), name="modellab_lab_status")
        return [status, *super().get_urls()]

    def status_view(self, request):
        """Lab status: the workers seen, queue depth per queue (read from the broker), runs by state,
        and what this server cannot offer with what to do about it (paths included).
        Staff who may view workers (the admin's own rule for their list)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Lab status",
            "opts": self.model._meta,
            "status": lab_status(),
            "active_runs": active_runs_eta(),
            "storage_used": _storage_used(),
            "queues": broker.queue_depths(),
            "unavailable": unavailable_here(),
        }
        return TemplateResponse(request, "admin/modellab/lab_status.html", context)


def _storage_used():
    """The lab's storage by kind (storage_usage.usage_by_kind), or None when the storage does not answer."""
    from modellab.storage import StorageUnavailable
    from modellab.storage_usage import usage_by_kind

    try:
        return usage_by_kind()
    except StorageUnavailable:
        return None


@admin.register(LabPreset)
class LabPresetAdmin(admin.ModelAdmin):
    list_display = ("title", "lesson", "key", "backbone", "epochs", "image_size")
    list_filter = ("lesson",)
    ordering = ("lesson", "position")


@admin.register(MeasuredReference)
class MeasuredReferenceAdmin(admin.ModelAdmin):
    list_display = ("title", "lesson", "backbone", "device", "measured_on")
    readonly_fields = ("updated_at",)
    actions = ["download_yaml"]

    @admin.action(description="Download as the lesson file's measured: section (YAML)")
    def download_yaml(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one reference.", level=messages.ERROR)
            return None
        reference = queryset.get()
        response = HttpResponse(measured_to_yaml(reference), content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{reference.lesson.slug}-measured.yaml"'
        return response
