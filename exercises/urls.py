from __future__ import annotations

from django.urls import path

from . import desk_views, views

app_name = "exercises"
urlpatterns = [
    path("", views.exercises_home, name="home"),
    path("history/", views.history, name="history"),
    path("export.json", views.export_json, name="export_json"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("entry/<uuid:pk>/", views.entry_detail, name="entry"),
    path("entry/<uuid:pk>/edit/", views.entry_update, name="entry_update"),
    path("entry/<uuid:pk>/delete/", views.entry_delete, name="entry_delete"),
    path("entry/<uuid:pk>/visibility/", views.entry_set_visibility, name="entry_set_visibility"),
    path("entry/<uuid:pk>/thank/", views.appreciation_acknowledge, name="appreciation_acknowledge"),
    path("entry/<uuid:pk>/gift/", views.request_choose_gift, name="request_choose_gift"),
    path("entry/<uuid:pk>/decline/", views.request_decline_all, name="request_decline_all"),
    path("entry/<uuid:pk>/log/", views.request_log_followthrough, name="request_log_followthrough"),
    # The lists whose items the partner gives (caring behaviors, surprises): one view for each
    # action, the kind in the URL. The caring names stay for the links already sent out.
    path(
        "<slug:kind>/item/<int:item_pk>/set-aside/",
        views.gift_item_set_aside,
        name="gift_item_set_aside",
    ),
    path("<slug:kind>/item/<int:item_pk>/given/", views.gift_log, name="gift_log"),
    path(
        "caring/item/<int:item_pk>/set-aside/",
        views.gift_item_set_aside,
        {"kind": "caring"},
        name="caring_item_set_aside",
    ),
    path(
        "caring/item/<int:item_pk>/given/",
        views.gift_log,
        {"kind": "caring"},
        name="caring_gift_log",
    ),
    path("homework/<int:pk>/answer/", desk_views.homework_answer, name="homework_answer"),
    path("vision/merge/", views.vision_merge, name="vision_merge"),
    path("vision/shared/", views.vision_shared, name="vision_shared"),
    path("vision/shared/<uuid:couple>/", views.vision_shared, name="vision_shared"),
    path("vision/item/<int:item_pk>/truth/", views.vision_rate_truth, name="vision_rate_truth"),
    path("<slug:kind>/", views.kind_page, name="kind"),
    path("<slug:kind>/new/", views.entry_create, name="entry_create"),
]
