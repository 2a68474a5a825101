from __future__ import annotations

import secrets
import uuid
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    class Role(models.TextChoices):
        PARTNER = "partner", "Partner"
        THERAPIST = "therapist", "Therapist"

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField("display name", max_length=60)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PARTNER)
    professional_title = models.CharField(
        max_length=120, blank=True, help_text="Therapists only, e.g. “Certified Imago therapist”."
    )
    # An IANA name ("Europe/Berlin"): quiet hours and reminder times are in this person's time.
    time_zone = models.CharField(max_length=64, default="UTC")
    # My dialogue turns are my partner's data too: they appear in full in my partner's export
    # only with this consent; otherwise the export marks them as left out.
    turns_in_partner_export = models.BooleanField(
        "My partner's export may include my dialogue turns", default=False
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_therapist(self) -> bool:
        return self.role == self.Role.THERAPIST

    @property
    def group_name(self) -> str:
        """Channel-layer group of every live socket this person has open."""
        return f"user-{self.pk}"


class CoupleQuerySet(models.QuerySet["Couple"]):
    def for_member(self, user: User) -> CoupleQuerySet:
        """Couples `user` belongs or belonged to: the one access rule for couple data."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def active(self) -> CoupleQuerySet:
        return self.filter(ended_at__isnull=True)

    def for_therapist(self, user: User) -> CoupleQuerySet:
        """Active couples whose live link to `user` has the consent of both partners."""
        if not user.is_authenticated or not user.is_therapist:
            return self.none()
        return (
            self.active()
            .filter(therapist_links__therapist=user, therapist_links__revoked_at__isnull=True)
            .annotate(
                _consents=models.Count(
                    "therapist_links__consents",
                    filter=Q(therapist_links__revoked_at__isnull=True),
                    distinct=True,
                )
            )
            .filter(_consents__gte=2)
        )


class Couple(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partners = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="couples"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CoupleQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return " & ".join(sorted(str(p) for p in self.partners.all()))

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def group_name(self) -> str:
        """Channel-layer group of every live socket showing this couple's data."""
        return f"couple-{self.pk}"

    def partner_of(self, user: User) -> User | None:
        """The other partner; uses prefetched partners when available."""
        for partner in self.partners.all():
            if partner.pk != user.pk:
                return partner
        return None


class Membership(models.Model):
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["couple", "user"], name="membership_once_per_couple"),
            # The database itself guarantees a person is in at most one active couple.
            models.UniqueConstraint(
                fields=["user"], condition=Q(active=True), name="one_active_couple_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.couple_id}"


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_code(value: str) -> str:
    raw = "".join(ch for ch in value.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


def _default_expiry() -> object:
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (it may still have expired)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for your partner"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        USED = "used", "Accepted"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    inviter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations_sent"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    code = models.CharField(max_length=9, unique=True, default=_new_code, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_default_expiry)
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations_accepted",
    )
    couple = models.ForeignKey(Couple, null=True, blank=True, on_delete=models.SET_NULL)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.code} from {self.inviter}"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.USED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class TherapistLinkQuerySet(models.QuerySet["TherapistLink"]):
    def in_force(self) -> TherapistLinkQuerySet:
        return self.filter(revoked_at__isnull=True, couple__ended_at__isnull=True)


class TherapistLink(models.Model):
    """A couple's link to a therapist. Access needs every current partner's consent and ends the
    moment either partner revokes (see `couples.access.couple_access_role`)."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="therapist_links")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="therapist_links"
    )
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TherapistLinkQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["couple"],
                condition=Q(revoked_at__isnull=True),
                name="one_live_therapist_link",
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} for {self.couple_id}"


class TherapistConsent(models.Model):
    link = models.ForeignKey(TherapistLink, on_delete=models.CASCADE, related_name="consents")
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "partner"], name="consent_once_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner} consents to {self.link}"


class TherapistView(models.Model):
    """One look by a therapist at a couple's data. Partners read these on their couple page."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="therapist_views")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    what = models.CharField(max_length=200)
    path = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["couple", "-at"], name="therapist_view_by_couple")]

    def __str__(self) -> str:
        return f"{self.therapist} viewed {self.what}"


# --- Notifications ------------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    PARTNER_WAITING = "partner_waiting", "Your partner is waiting for you in a dialogue"
    APPOINTMENT = "appointment", "Reminders of a dialogue you agreed on"
    APPRECIATION = "appreciation", "A new appreciation"
    REQUEST_ANSWERED = "request_answered", "A request answered"
    HOMEWORK = "homework", "Homework from your therapist"
    THERAPIST_NOTE = "therapist_note", "A note from your therapist"
    REMINDER = "reminder", "Reminders at the time you choose"


class NotificationChannel(models.TextChoices):
    """Where one kind of notification reaches a person. Email and push also show in the app."""

    APP = "app", "In the app"
    EMAIL = "email", "In the app and by email"
    PUSH = "push", "In the app and as a push notification"
    OFF = "off", "Off"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_recipient(self, user: User) -> NotificationQuerySet:
        """What `user` may see: their own, once due, unless withdrawn."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user, cancelled_at__isnull=True, show_at__lte=timezone.now())

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """Something that concerns one person. It carries no text anyone wrote: what it says comes
    from its kind and variant (see `couples.notifications.notification_text`), so nothing a
    partner wrote can leave the app in a notification, an email subject or a push."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    # A fixed code that refines the kind (an appointment "soon" or "now", a reminder's subject).
    variant = models.CharField(max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.CharField(max_length=300, blank=True)
    # What the notification is about ("dialogue-<uuid>"): opening it marks it read, withdrawing
    # it cancels what has not gone out yet.
    target = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    show_at = models.DateTimeField(default=timezone.now)
    shown_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-show_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-show_at"], name="notification_by_recipient"),
            models.Index(fields=["target"], name="notification_by_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"


class Delivery(models.Model):
    """One notification, due to go out by email or push at `due_at` (moved on by quiet hours)."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Sent"
        SEEN = "seen", "Seen in the app first"
        PAUSED = "paused", "Notifications paused"
        CAPPED = "capped", "Daily limit reached"
        CANCELLED = "cancelled", "Withdrawn"
        FAILED = "failed", "Failed"

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=NotificationChannel.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["done_at", "due_at"], name="delivery_pending")]

    def __str__(self) -> str:
        return f"{self.channel} for {self.notification_id} at {self.due_at}"


def _default_channels() -> dict[str, str]:
    # Gentle: only a waiting partner and agreed appointments leave the app.
    return {
        NotificationKind.PARTNER_WAITING: NotificationChannel.EMAIL,
        NotificationKind.APPOINTMENT: NotificationChannel.EMAIL,
    }


class NotificationSettings(models.Model):
    """One person's choices: per kind a channel, quiet hours, a pause, discretion, a cap."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    # {kind: channel}; a kind not named here shows in the app only.
    channels = models.JSONField(default=_default_channels)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    discreet = models.BooleanField(default=False)
    daily_cap = models.PositiveSmallIntegerField(default=6)
    remind_before = models.BooleanField(
        default=True, help_text="Also remind 15 minutes before an appointment."
    )
    # Daily: the temperature-reading prompt and the digest of what stayed in the app.
    daily_at = models.TimeField(default=time(19, 0))
    temperature_prompt = models.BooleanField(default=False)
    request_reminder = models.BooleanField(default=False)
    digest = models.BooleanField(default=False)
    last_daily_on = models.DateField(null=True, blank=True)
    # {kind: n}: each unsubscribe link carries n; using it moves n on, so it works only once.
    unsubscribe_versions = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"


class PushSubscription(models.Model):
    """One browser that agreed to receive this person's push notifications (Web Push)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=128)
    auth = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Push subscription {self.pk} of {self.user_id}"


class AccountSession(models.Model):
    """One signed-in device of a person: what their session list shows, and what "log out
    everywhere else" ends. The session itself stays in Django's session store."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    device = models.CharField(max_length=120, blank=True)
    ip_coarse = models.CharField("network (coarse)", max_length=50, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return f"{self.device} ({self.ip_coarse})"


class SecurityEvent(models.Model):
    """A security-relevant event, for staff to read in the admin. `user` is kept only while the
    account exists; `email` holds the address typed (failed logins, resets) and is blanked on
    account deletion."""

    class Kind(models.TextChoices):
        SIGNUP = "signup", "Sign-up"
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGOUT = "logout", "Logged out"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset", "Password reset requested"
        PASSWORD_RESET_THROTTLED = "password_reset_throttled", "Password reset throttled"
        SESSIONS_ENDED = "sessions_ended", "Other sessions ended"
        MFA_ENABLED = "mfa_enabled", "Second factor enabled"
        MFA_DISABLED = "mfa_disabled", "Second factor removed"
        MFA_FAILED = "mfa_failed", "Wrong second-factor code"
        RECOVERY_CODES = "recovery_codes", "Recovery codes renewed"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        CONSENT_GIVEN = "consent_given", "Therapist consent given"
        CONSENT_REVOKED = "consent_revoked", "Therapist consent revoked"
        EXPORT = "export", "Data exported"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="security_events",
    )
    email = models.CharField(max_length=254, blank=True)
    ip_coarse = models.CharField("network (coarse)", max_length=50, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["kind", "-at"], name="security_event_by_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
