from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from couples import views as couples_views

from . import views

urlpatterns = [
    path("", include("couples.urls")),
    # Django's own account views reverse their names without a namespace: they stay here.
    path("accounts/login/", couples_views.LoginView.as_view(), name="login"),
    path(
        "accounts/password_reset/",
        couples_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    # Ways a session ends close its live sockets too; the rest are Django's own views.
    path("accounts/logout/", couples_views.logout, name="logout"),
    path(
        "accounts/password_change/",
        couples_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        couples_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/export/", views.account_export, name="account_export"),
    path("accounts/delete/", views.account_delete_view, name="account_delete"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dialogues/", include("dialogue.urls")),
    path("exercises/", include("exercises.urls")),
    path("clients/", include("exercises.desk_urls")),
    path("admin/", admin.site.urls),
]
