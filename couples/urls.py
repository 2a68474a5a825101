from __future__ import annotations

from django.urls import path

from . import views

app_name = "couples"
urlpatterns = [
    path("", views.home, name="home"),
    path("safety/", views.safety, name="safety"),
    path("leave/", views.quick_exit, name="quick_exit"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/signup/confirm/<str:uidb64>/<str:token>/",
        views.signup_confirm,
        name="signup_confirm",
    ),
    path("accounts/settings/", views.account, name="account"),
    path("accounts/second-factor/", views.mfa, name="mfa"),
    path("accounts/second-factor/verify/", views.mfa_verify_view, name="mfa_verify"),
    path(
        "accounts/sessions/end-others/",
        views.account_sessions_end_others,
        name="account_sessions_end_others",
    ),
    path("couple/invite/", views.invitation_create, name="invitation_create"),
    path("couple/invite/<uuid:pk>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("couple/join/", views.join_by_code, name="join_by_code"),
    path("couple/join/<str:token>/", views.join_by_link, name="join_by_link"),
    path("couple/<uuid:pk>/", views.couple_detail, name="couple_detail"),
    path("couple/<uuid:pk>/leave/", views.couple_leave, name="couple_leave"),
    path(
        "couple/<uuid:pk>/therapist/",
        views.therapist_link_create,
        name="therapist_link_create",
    ),
    path(
        "couple/<uuid:pk>/therapist/consent/",
        views.therapist_consent_give,
        name="therapist_consent_give",
    ),
    path(
        "couple/<uuid:pk>/therapist/revoke/",
        views.therapist_link_revoke,
        name="therapist_link_revoke",
    ),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/push/", views.push_subscription, name="push_subscription"),
    path("sw.js", views.service_worker, name="service_worker"),
    path(
        "notifications/unsubscribe/<str:token>/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
]
