"""Workflows across accounts, invitations and couples. Views call these; they hold the rules."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from imago_site.events import send_event_on_commit

from .models import (
    Couple,
    Invitation,
    Membership,
    TherapistConsent,
    TherapistLink,
    TherapistView,
    User,
    normalize_code,
)


class CoupleError(Exception):
    """A refused request, with a message meant for the person who made it."""


def active_couple_for(user: User) -> Couple | None:
    if not user.is_authenticated:
        return None
    return (
        Couple.objects.active()
        .filter(memberships__user=user, memberships__active=True)
        .prefetch_related("partners")
        .first()
    )


def invitation_create(*, inviter: User) -> Invitation:
    if inviter.is_therapist:
        raise CoupleError("Therapist accounts can't invite a partner.")
    with transaction.atomic():
        # Lock the inviter's row so two clicks can't race past the checks below.
        User.objects.select_for_update().get(pk=inviter.pk)
        if active_couple_for(inviter):
            raise CoupleError("You're already in a couple. Leave it first to invite someone new.")
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
            raise CoupleError("Only the person who created an invitation can revoke it.")
        refusal = _REVOKE_REFUSALS.get(invitation.status)
        if refusal:
            raise CoupleError(refusal)
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])


def _code_attempts_key(user: User) -> str:
    return f"invitation-code-attempts:{user.pk}"


def invitation_accept(*, user: User, token: str = "", code: str = "") -> Couple:
    """Pair `user` with the invitation's author. Either the link token or the short code."""
    if user.is_therapist:
        raise CoupleError("Therapist accounts can't join a couple as a partner.")
    attempts_key = _code_attempts_key(user)
    if code and cache.get(attempts_key, 0) >= settings.INVITATION_CODE_ATTEMPTS_PER_HOUR:
        raise CoupleError(
            "Too many wrong codes. Please wait an hour, or ask your partner for their link."
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
                cache.add(attempts_key, 0, timeout=60 * 60)
                cache.incr(attempts_key)
            raise CoupleError("That code doesn't match any invitation. Check it and try again.")
        if invitation.inviter_id == user.pk:
            raise CoupleError("This is your own invitation. Share it with your partner instead.")
        status = invitation.status
        if status == Invitation.Status.USED:
            raise CoupleError("This invitation has already been used.")
        if status == Invitation.Status.REVOKED:
            raise CoupleError("This invitation was revoked. Ask your partner for a new one.")
        if status == Invitation.Status.EXPIRED:
            raise CoupleError("This invitation has expired. Ask your partner for a new one.")
        if active_couple_for(user):
            raise CoupleError("You're already in a couple. Leave it first to accept an invitation.")
        if active_couple_for(invitation.inviter):
            raise CoupleError(f"{invitation.inviter} is already in a couple.")
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
            raise CoupleError("One of you has just joined another couple.") from exc
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.couple = couple
        invitation.save(update_fields=["accepted_at", "accepted_by", "couple"])
        # Neither partner's other invitations may pair them a second time.
        Invitation.objects.open().filter(inviter__in=[user, invitation.inviter]).update(
            revoked_at=now
        )
    cache.delete(attempts_key)
    return couple


def couple_leave(*, couple: Couple, user: User) -> None:
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not couple.memberships.filter(user=user).exists():
            raise CoupleError("You're not part of this couple.")
        if not couple.is_active:
            raise CoupleError("This couple has already ended.")
        couple.ended_at = timezone.now()
        couple.ended_by = user
        couple.save(update_fields=["ended_at", "ended_by"])
        couple.memberships.update(active=False)
        # Live sockets showing this couple's data re-check who may still see it.
        send_event_on_commit(couple.group_name, {"type": "access.changed"})


class AccessRole:
    PARTNER = "partner"
    THERAPIST = "therapist"


def couple_access_role(*, couple: Couple, user: User) -> str | None:
    """Who `user` is to `couple`: "partner", "therapist" (both partners' consent in force), or
    None. Every app's access helper asks this one question."""
    if not user.is_authenticated:
        return None
    if Membership.objects.filter(couple=couple, user=user).exists():
        return AccessRole.PARTNER
    if Couple.objects.for_therapist(user).filter(pk=couple.pk).exists():
        return AccessRole.THERAPIST
    return None


def therapist_link_create(*, couple: Couple, therapist: User, by: User) -> TherapistLink:
    """A partner proposes a therapist; their own consent is given with the proposal."""
    if not therapist.is_therapist:
        raise CoupleError("That account is not a therapist's.")
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not couple.is_active or not couple.memberships.filter(user=by, active=True).exists():
            raise CoupleError("Only a partner of an active couple can link a therapist.")
        if TherapistLink.objects.filter(couple=couple, revoked_at__isnull=True).exists():
            raise CoupleError("Your couple is already linked to a therapist. Revoke that first.")
        link = TherapistLink.objects.create(couple=couple, therapist=therapist)
        TherapistConsent.objects.create(link=link, partner=by)
        return link


def therapist_consent_give(*, link: TherapistLink, partner: User) -> None:
    with transaction.atomic():
        link = TherapistLink.objects.select_for_update().get(pk=link.pk)
        if (
            link.revoked_at
            or not link.couple.memberships.filter(user=partner, active=True).exists()
        ):
            raise CoupleError("This therapist link is no longer open.")
        _, created = TherapistConsent.objects.get_or_create(link=link, partner=partner)
        if not created:
            raise CoupleError("You have already consented to this therapist.")


def therapist_link_revoke(*, link: TherapistLink, by: User) -> None:
    """Either partner ends the therapist's access at once."""
    with transaction.atomic():
        link = TherapistLink.objects.select_for_update().get(pk=link.pk)
        if not link.couple.memberships.filter(user=by).exists():
            raise CoupleError("Only a partner can revoke the therapist's access.")
        if link.revoked_at is not None:
            raise CoupleError("The therapist's access was already revoked.")
        link.revoked_at = timezone.now()
        link.revoked_by = by
        link.save(update_fields=["revoked_at", "revoked_by"])
        send_event_on_commit(link.couple.group_name, {"type": "access.changed"})


def therapist_view_record(*, couple: Couple, therapist: User, what: str, path: str = "") -> None:
    """Record that `therapist` looked at `what` of `couple`'s data; call it on every read a
    therapist makes, after access was granted."""
    TherapistView.objects.create(
        couple=couple, therapist=therapist, what=what[:200], path=path[:300]
    )


def therapist_list_look_record(
    *, therapist: User, couples: set[Couple], what: str, path: str = ""
) -> None:
    """A therapist's look at a list is recorded once for each couple whose data it shows."""
    for couple in couples:
        therapist_view_record(couple=couple, therapist=therapist, what=what, path=path)
