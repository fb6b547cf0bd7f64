"""The lab's URLs: its pages, their live partials, and the POST endpoints (submit, cancel, predict, run a preset)."""

from django.urls import path

from modellab import sweep_views, takeaway_views, views

app_name = "modellab"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.new, name="new"),
    path("datasets/upload/", views.dataset_upload, name="dataset_upload"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset"),
    path("experiments/<int:pk>/", views.experiment_detail, name="experiment"),
    path("experiments/<int:pk>/trace/", views.experiment_trace, name="experiment_trace"),
    path("experiments/<int:pk>/cancel/", views.experiment_cancel, name="experiment_cancel"),
    path("experiments/<int:pk>/predict/", views.experiment_predict, name="experiment_predict"),
    path("experiments/<int:pk>/images/<int:index>/", views.experiment_image, name="experiment_image"),
    path("experiments/<int:pk>/model.onnx", takeaway_views.experiment_model, name="experiment_model"),
    path("experiments/<int:pk>/heatmaps/<int:index>/<str:kind>/", takeaway_views.experiment_heatmap, name="experiment_heatmap"),
    path(
        "experiments/<int:pk>/uploads/<str:digest>/", takeaway_views.experiment_upload_heatmap, name="experiment_upload_heatmap"
    ),
    path("compare/", views.compare, name="compare"),
    path("compare/trace/", views.compare_trace, name="compare_trace"),
    path("sweeps/<uuid:group>/", sweep_views.size_sweep, name="size_sweep"),
    path("sweeps/<uuid:group>/trace/", sweep_views.size_sweep_trace, name="size_sweep_trace"),
    path("sweeps/<uuid:group>/cancel/", sweep_views.size_sweep_cancel, name="size_sweep_cancel"),
    path("presets/<int:pk>/run/", sweep_views.preset_run, name="preset_run"),
]
