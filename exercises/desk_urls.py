"""The therapist's desk: one page per couple, /clients/<couple>/, a tab per section."""

from __future__ import annotations

from django.urls import path

from . import desk_views as views

app_name = "desk"
urlpatterns = [
    path("<uuid:pk>/", views.overview, name="overview"),
    path("<uuid:pk>/history/", views.history, name="history"),
    path("<uuid:pk>/dialogues/", views.dialogues, name="dialogues"),
    path("<uuid:pk>/dialogues/<uuid:dialogue_pk>/", views.transcript, name="transcript"),
    path("<uuid:pk>/skills/", views.skills, name="skills"),
    path("<uuid:pk>/homework/", views.homework, name="homework"),
    path("<uuid:pk>/homework/assign/", views.homework_assign, name="homework_assign"),
    path("<uuid:pk>/notes/", views.notes, name="notes"),
    path("<uuid:pk>/notes/new/", views.note_create, name="note_create"),
    path("<uuid:pk>/notes/<int:note_pk>/", views.note_update, name="note_update"),
    path("<uuid:pk>/notes/<int:note_pk>/delete/", views.note_delete, name="note_delete"),
    path("<uuid:pk>/brief/", views.brief, name="brief"),
    path("<uuid:pk>/export.json", views.export, name="export"),
]
