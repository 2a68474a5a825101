from __future__ import annotations

from django.urls import path

from . import views

app_name = "dialogue"
urlpatterns = [
    path("", views.dialogue_list, name="list"),
    path("new/", views.dialogue_new, name="start"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<uuid:pk>/move/", views.appointment_move_view, name="appointment_move"),
    path(
        "appointments/<uuid:pk>/cancel/", views.appointment_cancel_view, name="appointment_cancel"
    ),
    path("appointments/<uuid:pk>/ics/", views.appointment_ics_view, name="appointment_ics"),
    path("practice/", views.dialogue_practice, name="practice"),
    path("practice/restart/", views.dialogue_practice_restart, name="practice_restart"),
    path("walkthrough/skip/", views.dialogue_walkthrough_skip, name="walkthrough_skip"),
    path("<uuid:pk>/", views.dialogue_room, name="room"),
    path("<uuid:pk>/act/", views.dialogue_act, name="act"),
    path("<uuid:pk>/coach/", views.dialogue_coach, name="coach"),
    path("<uuid:pk>/turns/", views.dialogue_turns, name="turns"),
    path("<uuid:pk>/transcript/", views.dialogue_transcript, name="transcript"),
    path("<uuid:pk>/export.json", views.dialogue_export_json, name="export_json"),
    path("<uuid:pk>/therapist/", views.dialogue_therapist_invite, name="therapist"),
]
