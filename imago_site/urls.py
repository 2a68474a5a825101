from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("", include("couples.urls")),
    # Django's own account views reverse their names without a namespace: they stay here.
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dialogues/", include("dialogue.urls")),
    path("exercises/", include("exercises.urls")),
    path("clients/", include("exercises.desk_urls")),
    path("admin/", admin.site.urls),
]
