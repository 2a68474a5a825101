from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("safety/", views.safety, name="safety"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("couple/invite/", views.invitation_new, name="invitation_new"),
    path("couple/invite/<uuid:pk>/revoke/", views.invitation_cancel, name="invitation_revoke"),
    path("couple/join/", views.join_by_code, name="join_by_code"),
    path("couple/join/<str:token>/", views.join_by_link, name="join_by_link"),
    path("couple/<uuid:pk>/", views.couple_detail, name="couple_detail"),
    path("couple/<uuid:pk>/leave/", views.couple_leave_view, name="couple_leave"),
    path("couple/<uuid:pk>/therapist/", views.therapist_link, name="therapist_link"),
    path("couple/<uuid:pk>/therapist/consent/", views.therapist_consent, name="therapist_consent"),
    path("couple/<uuid:pk>/therapist/revoke/", views.therapist_revoke, name="therapist_revoke"),
]
