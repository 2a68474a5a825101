from __future__ import annotations

from django.urls import path

from . import views

app_name = "dialogue"
urlpatterns = [
    path("", views.dialogue_list, name="list"),
]
