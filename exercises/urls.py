from __future__ import annotations

from django.urls import path

from . import views

app_name = "exercises"
urlpatterns = [
    path("", views.exercises_home, name="home"),
    path("history/", views.history, name="history"),
    path("export.json", views.export_json, name="export_json"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("entry/<uuid:pk>/", views.entry_detail, name="entry"),
    path("entry/<uuid:pk>/edit/", views.entry_edit, name="edit"),
    path("entry/<uuid:pk>/delete/", views.entry_delete_view, name="delete"),
    path("entry/<uuid:pk>/visibility/", views.entry_visibility, name="visibility"),
    path("entry/<uuid:pk>/thank/", views.appreciation_ack, name="acknowledge"),
    path("entry/<uuid:pk>/gift/", views.request_gift, name="request_gift"),
    path("entry/<uuid:pk>/decline/", views.request_decline, name="request_decline"),
    path("entry/<uuid:pk>/log/", views.request_log, name="request_log"),
    path("caring/item/<int:item_pk>/set-aside/", views.caring_set_aside, name="caring_set_aside"),
    path("caring/item/<int:item_pk>/given/", views.caring_gift, name="caring_gift"),
    path("vision/merge/", views.vision_merge_view, name="vision_merge"),
    path("vision/shared/", views.vision_shared, name="vision_shared"),
    path("vision/item/<int:item_pk>/truth/", views.vision_truth, name="vision_truth"),
    path("<slug:kind>/", views.kind_page, name="kind"),
    path("<slug:kind>/new/", views.entry_new, name="new"),
]
