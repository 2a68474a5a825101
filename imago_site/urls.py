from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("couples.urls")),
    path("dialogues/", include("dialogue.urls")),
    path("exercises/", include("exercises.urls")),
    path("admin/", admin.site.urls),
]
