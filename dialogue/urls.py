from __future__ import annotations

from django.urls import path

from . import views

app_name = "dialogue"
urlpatterns = [
    path("", views.dialogue_list, name="list"),
    path("new/", views.dialogue_new, name="start"),
    path("<uuid:pk>/", views.dialogue_room, name="room"),
    path("<uuid:pk>/act/", views.dialogue_act, name="act"),
    path("<uuid:pk>/transcript/", views.dialogue_transcript, name="transcript"),
    path("<uuid:pk>/therapist/", views.dialogue_therapist_invite, name="therapist"),
]
