"""Workflows across accounts, invitations and couples. Views call these; they hold the rules."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, match_token, user_has_device
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from imago_site.errors import ImagoError
from imago_site.events import send_event_on_commit
from imago_site.throttle import throttle_clear, throttle_count, throttle_hit

from .access import active_couple_for, is_active_member, is_member
from .models import (
    AccountSession,
    Couple,
    Invitation,
    Membership,
    SecurityEvent,
    TherapistConsent,
    TherapistLink,
    User,
    normalize_code,
)


class CoupleError(ImagoError):
    """A refused pairing, link or consent (`code`, `message`)."""


# --- Live sockets -----------------------------------------------------------------------------

# Close codes a live socket ends with when its person's session or standing changes
# (docs/protocol.md): signed out for good, or changed so that a reconnect shows the new picture.
SOCKET_SIGNED_OUT = 4401
SOCKET_RECONNECT = 4409


def session_tag(session_key: str | None) -> str:
    """A stand-in for a session key in channel-layer events: sockets compare it with their own,
    and the key itself never travels through the layer."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()[:32]


def user_close_applies(event: dict[str, object], own_tag: str) -> bool:
    """Whether a `user.close` event closes the socket whose session tag is `own_tag`."""
    if event["only"] is not None and event["only"] != own_tag:
        return False
    return event["keep"] is None or event["keep"] != own_tag


def user_sockets_close(
    *,
    user: User,
    session_key: str | None = None,
    except_session_key: str | None = None,
    code: int = SOCKET_SIGNED_OUT,
) -> None:
    """Close `user`'s open websockets once the current transaction commits: every one of them,
    only those of `session_key` (a logout), or all but those of `except_session_key` (a password
    change keeps the tab that changed it; "log out everywhere else"). The one way to end a
    person's live sockets; call it wherever a session or a person's standing ends."""
    send_event_on_commit(
        user.group_name,
        {
            "type": "user.close",
            "code": code,
            "only": session_tag(session_key) if session_key else None,
            "keep": session_tag(except_session_key) if except_session_key else None,
        },
    )


def invitation_create(*, inviter: User) -> Invitation:
    if inviter.is_therapist:
        raise CoupleError("therapist_account", "Therapist accounts can't invite a partner.")
    with transaction.atomic():
        # Lock the inviter's row so two clicks can't race past the checks below.
        User.objects.select_for_update().get(pk=inviter.pk)
        if active_couple_for(inviter):
            raise CoupleError(
                "already_paired",
                "You're already in a couple. Leave it first to invite someone new.",
            )
        # One live invitation at a time: a new one replaces any earlier, still-pending one.
        Invitation.objects.open().filter(inviter=inviter, expires_at__gt=timezone.now()).update(
            revoked_at=timezone.now()
        )
        now = timezone.now()
        return Invitation.objects.create(
            inviter=inviter,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )


_REVOKE_REFUSALS = {
    Invitation.Status.REVOKED: "This invitation was already revoked.",
    Invitation.Status.USED: "This invitation was already accepted, so it can't be revoked.",
    Invitation.Status.EXPIRED: "This invitation has already expired: nobody can use it.",
}


def invitation_revoke(*, invitation: Invitation, by: User) -> None:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.inviter_id != by.pk:
            raise CoupleError(
                "not_yours", "Only the person who created an invitation can revoke it."
            )
        refusal = _REVOKE_REFUSALS.get(invitation.status)
        if refusal:
            raise CoupleError("not_pending", refusal)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _code_attempts_key(user: User) -> str:
    return f"invitation-code-attempts:{user.pk}"


def invitation_accept(*, user: User, token: str = "", code: str = "") -> Couple:
    """Pair `user` with the invitation's author. Either the link token or the short code."""
    if user.is_therapist:
        raise CoupleError(
            "therapist_account", "Therapist accounts can't join a couple as a partner."
        )
    attempts_key = _code_attempts_key(user)
    if code and throttle_count(attempts_key) >= settings.INVITATION_CODE_ATTEMPTS_PER_HOUR:
        raise CoupleError(
            "too_many_attempts",
            "Too many wrong codes. Please wait an hour, or ask your partner for their link.",
        )
    with transaction.atomic():
        lookup = {"token": token} if token else {"code": normalize_code(code)}
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("inviter")
            .filter(**lookup)
            .first()
            if (token or code)
            else None
        )
        if invitation is None:
            if code:
                throttle_hit(attempts_key, limit=0, window=60 * 60)
            raise CoupleError(
                "no_such_code", "That code doesn't match any invitation. Check it and try again."
            )
        if invitation.inviter_id == user.pk:
            raise CoupleError(
                "own_invitation", "This is your own invitation. Share it with your partner instead."
            )
        status = invitation.status
        if status == Invitation.Status.USED:
            raise CoupleError("used", "This invitation has already been used.")
        if status == Invitation.Status.REVOKED:
            raise CoupleError(
                "revoked", "This invitation was revoked. Ask your partner for a new one."
            )
        if status == Invitation.Status.EXPIRED:
            raise CoupleError(
                "expired", "This invitation has expired. Ask your partner for a new one."
            )
        if active_couple_for(user):
            raise CoupleError(
                "already_paired",
                "You're already in a couple. Leave it first to accept an invitation.",
            )
        if active_couple_for(invitation.inviter):
            raise CoupleError("inviter_paired", f"{invitation.inviter} is already in a couple.")
        now = timezone.now()
        couple = Couple.objects.create(created_at=now)
        try:
            with transaction.atomic():
                Membership.objects.bulk_create(
                    [
                        Membership(couple=couple, user=invitation.inviter, joined_at=now),
                        Membership(couple=couple, user=user, joined_at=now),
                    ]
                )
        except IntegrityError as exc:  # a concurrent pairing won the race
            raise CoupleError("race", "One of you has just joined another couple.") from exc
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.couple = couple
        invitation.save(update_fields=["accepted_at", "accepted_by", "couple"])
        # Neither partner's other invitations may pair them a second time.
        Invitation.objects.open().filter(inviter__in=[user, invitation.inviter]).update(
            revoked_at=now
        )
    throttle_clear(attempts_key)
    return couple


def couple_leave(*, couple: Couple, user: User) -> None:
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not is_member(couple=couple, user=user):
            raise CoupleError("not_member", "You're not part of this couple.")
        if not couple.is_active:
            raise CoupleError("ended", "This couple has already ended.")
        couple.ended_at = timezone.now()
        couple.ended_by = user
        couple.save(update_fields=["ended_at", "ended_by"])
        couple.memberships.update(active=False)
        # Live sockets showing this couple's data re-check who may still see it; the one who
        # left is closed at once and, reconnecting, finds the couple's dialogues read-only.
        send_event_on_commit(couple.group_name, {"type": "access.changed"})
        user_sockets_close(user=user, code=SOCKET_RECONNECT)


def therapist_link_create(*, couple: Couple, therapist: User, by: User) -> TherapistLink:
    """A partner proposes a therapist; their own consent is given with the proposal."""
    if not therapist.is_therapist:
        raise CoupleError("not_therapist", "That account is not a therapist's.")
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not is_active_member(couple=couple, user=by):
            raise CoupleError(
                "not_active_partner", "Only a partner of an active couple can link a therapist."
            )
        if TherapistLink.objects.filter(couple=couple, revoked_at__isnull=True).exists():
            raise CoupleError(
                "already_linked", "Your couple is already linked to a therapist. Revoke that first."
            )
        link = TherapistLink.objects.create(couple=couple, therapist=therapist)
        TherapistConsent.objects.create(link=link, partner=by)
        security_event_record(
            kind=SecurityEvent.Kind.CONSENT_GIVEN, user=by, detail=f"to therapist #{therapist.pk}"
        )
        return link


def therapist_consent_give(*, link: TherapistLink, partner: User) -> None:
    with transaction.atomic():
        link = TherapistLink.objects.select_for_update().get(pk=link.pk)
        if link.revoked_at or not is_active_member(couple=link.couple_id, user=partner):
            raise CoupleError("link_closed", "This therapist link is no longer open.")
        _, created = TherapistConsent.objects.get_or_create(link=link, partner=partner)
        if not created:
            raise CoupleError("already_consented", "You have already consented to this therapist.")
        security_event_record(
            kind=SecurityEvent.Kind.CONSENT_GIVEN,
            user=partner,
            detail=f"to therapist #{link.therapist_id}",
        )


def therapist_link_revoke(*, link: TherapistLink, by: User) -> None:
    """Either partner ends the therapist's access at once."""
    with transaction.atomic():
        link = TherapistLink.objects.select_for_update().get(pk=link.pk)
        if not is_member(couple=link.couple_id, user=by):
            raise CoupleError("not_member", "Only a partner can revoke the therapist's access.")
        if link.revoked_at is not None:
            raise CoupleError("already_revoked", "The therapist's access was already revoked.")
        link.revoked_at = timezone.now()
        link.revoked_by = by
        link.save(update_fields=["revoked_at", "revoked_by"])
        security_event_record(
            kind=SecurityEvent.Kind.CONSENT_REVOKED,
            user=by,
            detail=f"from therapist #{link.therapist_id}",
        )
        send_event_on_commit(link.couple.group_name, {"type": "access.changed"})


# --- Accounts: sign-up, sessions, security events -------------------------------------------


def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    email: str = "",
    ip_coarse: str = "",
    detail: str = "",
) -> SecurityEvent:
    """Write one security event for staff (admin). Never holds a password, code or token."""
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        email=(email or (user.email if user is not None else ""))[:254],
        ip_coarse=ip_coarse[:50],
        detail=detail[:300],
    )


def account_signup(
    *, email: str, password: str, display_name: str, role: str, professional_title: str = ""
) -> tuple[User, bool]:
    """Create an account waiting for its email address to be confirmed, or — when the address
    already has an account — change nothing and return that account. The caller answers both
    the same way, so sign-up never tells anyone whether an address is registered."""
    email = email.strip().lower()
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email,
                    password,
                    display_name=display_name,
                    role=role,
                    professional_title=professional_title,
                    is_active=False,
                )
        except IntegrityError:  # the same address signed up a moment ago
            return User.objects.get(email__iexact=email), False
        return user, True


def account_activate(*, user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=True)
        user.is_active = True


def account_session_touch(*, user: User, session_key: str, device: str, ip_coarse: str) -> None:
    """Note that `user` was seen on this session now (the session list reads it)."""
    now = timezone.now()
    AccountSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "device": device, "ip_coarse": ip_coarse, "last_seen": now},
        create_defaults={
            "user": user,
            "device": device,
            "ip_coarse": ip_coarse,
            "created_at": now,
            "last_seen": now,
        },
    )


def account_sessions(*, user: User) -> list[AccountSession]:
    """`user`'s signed-in sessions that are still alive, most recently seen first."""
    records = list(AccountSession.objects.filter(user=user))
    alive = set(
        Session.objects.filter(
            session_key__in=[record.session_key for record in records],
            expire_date__gt=timezone.now(),
        ).values_list("session_key", flat=True)
    )
    return [record for record in records if record.session_key in alive]


def account_sessions_end(
    *,
    user: User,
    except_session_key: str | None = None,
    ip_coarse: str = "",
    close_sockets: bool = True,
) -> int:
    """End every session of `user` but `except_session_key` (None ends all of them) and close
    their open sockets. Returns how many sessions ended."""
    with transaction.atomic():
        records = AccountSession.objects.filter(user=user)
        if except_session_key:
            records = records.exclude(session_key=except_session_key)
        keys = list(records.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        records.delete()
        if except_session_key is not None:
            security_event_record(
                kind=SecurityEvent.Kind.SESSIONS_ENDED,
                user=user,
                ip_coarse=ip_coarse,
                detail=f"{len(keys)} other session(s) ended",
            )
        if close_sockets:
            user_sockets_close(user=user, except_session_key=except_session_key)
    return len(keys)


# --- Second factor (django-otp) ---------------------------------------------------------------


def mfa_enabled(user: User) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


def mfa_required(user: User) -> bool:
    """Therapists must sign in with a second factor before they see anything of a client's;
    partners may turn it on, and then need it too."""
    return user.is_authenticated and (user.is_therapist or mfa_enabled(user))


def mfa_session_ok(*, user: User, session: object) -> bool:
    """For a websocket: has this session entered the second factor, where one is required?"""
    if not mfa_required(user):
        return True
    device_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    device = Device.from_persistent_id(device_id) if device_id else None
    return device is not None and device.user_id == user.pk


def mfa_totp_pending(*, user: User) -> TOTPDevice:
    """The authenticator being set up: a new secret until a code from it confirms it."""
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        return device or TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )


def _recovery_codes_new(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def mfa_totp_confirm(*, user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns fresh recovery codes, shown once."""
    with transaction.atomic():
        if device.user_id != user.pk or device.confirmed:
            raise CoupleError("setup_expired", "This set-up has expired. Start again.")
        if not device.verify_token(token.strip().replace(" ", "")):
            raise CoupleError(
                "wrong_code", "That code didn't match. Check the time on your phone and try again."
            )
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_new(user)
        security_event_record(kind=SecurityEvent.Kind.MFA_ENABLED, user=user)
        return codes


def mfa_verify(*, user: User, token: str, ip_coarse: str = "") -> object:
    """The device that accepts `token` (an authenticator code or an unused recovery code), or
    a CoupleError. django-otp slows down repeated wrong codes per device."""
    token = token.strip().replace(" ", "").replace("-", "")
    device = match_token(user, token) if token else None
    if device is None:
        security_event_record(kind=SecurityEvent.Kind.MFA_FAILED, user=user, ip_coarse=ip_coarse)
        raise CoupleError("wrong_code", "That code didn't work. Try the newest code from your app.")
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        security_event_record(
            kind=SecurityEvent.Kind.RECOVERY_CODE_USED,
            user=user,
            ip_coarse=ip_coarse,
            detail=f"{left} recovery code(s) left",
        )
    return device


def mfa_recovery_codes_renew(*, user: User) -> list[str]:
    with transaction.atomic():
        if not mfa_enabled(user):
            raise CoupleError("mfa_off", "Turn on the second factor first.")
        codes = _recovery_codes_new(user)
        security_event_record(kind=SecurityEvent.Kind.RECOVERY_CODES, user=user)
        return codes


def mfa_may_disable(user: User) -> bool:
    """Partners may turn the second factor off again; therapists may not."""
    return not user.is_therapist


def mfa_disable(*, user: User) -> None:
    if not mfa_may_disable(user):
        raise CoupleError(
            "mfa_required", "Therapist accounts keep their second factor: it protects your clients."
        )
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        security_event_record(kind=SecurityEvent.Kind.MFA_DISABLED, user=user)
