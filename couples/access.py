"""Who a viewer is to a couple, and what that lets them do: the one place that answers it.

- A **partner** is (or was) one of the couple's two members. They read the couple's shared data
  for good; they act on it (`rw`) only while their membership and the couple are active.
- A **therapist** reads what was shared with them while the couple is active, the link is not
  revoked and both partners consent. They never change couple data (`rw` is False), and each of
  their looks is recorded with `look_record` for the partners to read.
- Anyone else gets nothing: views raise 404, never 403, so another couple's data is
  indistinguishable from data that does not exist.

Views follow one path: `get_couple_for_user(request, pk)` (or `couple_access` off the request
cycle) answers both "may see" and "may change"; templates read `access.rw`, never re-derive it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .models import Couple, Membership, TherapistView, User


class AccessRole:
    PARTNER = "partner"
    THERAPIST = "therapist"


@dataclass(frozen=True)
class CoupleAccess:
    """What `user` may do with `couple`: read it (always, or there would be no access) and,
    when `rw`, act on it as a partner of the active couple."""

    couple: Couple
    role: str
    rw: bool

    @property
    def is_partner(self) -> bool:
        return self.role == AccessRole.PARTNER

    @property
    def is_therapist(self) -> bool:
        return self.role == AccessRole.THERAPIST


# --- Couples a viewer reaches ------------------------------------------------------------------


def member_couples(user: User) -> QuerySet[Couple]:
    """Couples `user` is or was a partner of (ended ones too: shared history stays theirs)."""
    return Couple.objects.for_member(user)


def therapist_couples(user: User) -> QuerySet[Couple]:
    """Active couples whose live link to therapist `user` has both partners' consent."""
    return Couple.objects.for_therapist(user)


def active_couple_for(user: User) -> Couple | None:
    """The couple `user` is an active partner of now, with its partners prefetched."""
    if not user.is_authenticated:
        return None
    return (
        Couple.objects.active()
        .filter(memberships__user=user, memberships__active=True)
        .prefetch_related("partners")
        .first()
    )


def is_member(*, couple: Couple | UUID | str, user: User) -> bool:
    """`user` is or was a partner of `couple` (ended couples included)."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(couple=couple, user=user).exists()


def is_active_member(*, couple: Couple | UUID | str, user: User) -> bool:
    """`user` is a partner of `couple` now, and the couple has not ended: the one test for
    "may act on this couple's data as a partner"."""
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(
        couple=couple, user=user, active=True, couple__ended_at__isnull=True
    ).exists()


def couple_access_role(*, couple: Couple | UUID | str, user: User) -> str | None:
    """Who `user` is to `couple`: "partner", "therapist" (both partners' consent in force), or
    None. Every app's access helper asks this one question."""
    if not user.is_authenticated:
        return None
    if is_member(couple=couple, user=user):
        return AccessRole.PARTNER
    if user.is_therapist and therapist_couples(user).filter(pk=_pk(couple)).exists():
        return AccessRole.THERAPIST
    return None


def couple_access(*, user: User, pk: object) -> CoupleAccess | None:
    """The couple `pk` with `user`'s role and rights in it, or None when they have none (or it
    does not exist: the two are never told apart)."""
    if not user.is_authenticated:
        return None
    try:
        couple = Couple.objects.prefetch_related("partners").filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):  # not a UUID at all
        return None
    if couple is None:
        return None
    membership = Membership.objects.filter(couple=couple, user=user).first()
    if membership is not None:
        return CoupleAccess(
            couple=couple,
            role=AccessRole.PARTNER,
            rw=membership.active and couple.ended_at is None,
        )
    if user.is_therapist and therapist_couples(user).filter(pk=couple.pk).exists():
        return CoupleAccess(couple=couple, role=AccessRole.THERAPIST, rw=False)
    return None


def get_couple_for_user(
    request: HttpRequest, pk: object, *, partners_only: bool = False
) -> CoupleAccess:
    """The couple and what the requester may do with it; 404 for anyone without access (and,
    with `partners_only`, for its therapist)."""
    access = couple_access(user=request.user, pk=pk)
    if access is None or (partners_only and not access.is_partner):
        raise Http404("No such couple.")
    return access


def get_rw_couple_for_user(request: HttpRequest, pk: object) -> Couple:
    """The couple if the requester is an active partner of it now; 404 otherwise."""
    access = get_couple_for_user(request, pk, partners_only=True)
    if not access.rw:
        raise Http404("No such couple.")
    return access.couple


# --- One viewer's reach, computed once per request ---------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Every couple `user` reaches and how, from two small queries: pages that show many
    couples' objects ask `role(couple_id)` per object instead of querying per object."""

    user: User
    partner_of: frozenset[UUID]
    active_in: frozenset[UUID]
    therapist_of: frozenset[UUID]

    def role(self, couple_id: UUID | None) -> str | None:
        if couple_id is None:
            return None
        if couple_id in self.partner_of:
            return AccessRole.PARTNER
        if couple_id in self.therapist_of:
            return AccessRole.THERAPIST
        return None

    def rw(self, couple_id: UUID | None) -> bool:
        return couple_id is not None and couple_id in self.active_in


def reach(user: User) -> Reach:
    if not user.is_authenticated:
        return Reach(user, frozenset(), frozenset(), frozenset())
    partner_of: set[UUID] = set()
    active_in: set[UUID] = set()
    for couple_id, active, ended_at in Membership.objects.filter(user=user).values_list(
        "couple_id", "active", "couple__ended_at"
    ):
        partner_of.add(couple_id)
        if active and ended_at is None:
            active_in.add(couple_id)
    therapist_of = (
        frozenset(therapist_couples(user).values_list("pk", flat=True))
        if user.is_therapist
        else frozenset()
    )
    return Reach(user, frozenset(partner_of), frozenset(active_in), therapist_of)


# --- The record of a therapist's looks ---------------------------------------------------------


def look_record(
    *, viewer: User, couples: Couple | Iterable[Couple | None] | None, what: str, path: str = ""
) -> None:
    """Record that therapist `viewer` looked at `what` of each couple's data (once per couple,
    however many of its objects the page showed). Partners' own reads are not recorded, so
    every read path calls this unconditionally, after access was granted."""
    if not viewer.is_authenticated or not viewer.is_therapist or couples is None:
        return
    if isinstance(couples, Couple):
        couples = [couples]
    seen = {couple.pk: couple for couple in couples if couple is not None}
    TherapistView.objects.bulk_create(
        TherapistView(couple=couple, therapist=viewer, what=what[:200], path=path[:300])
        for couple in seen.values()
    )


def _pk(couple: Couple | UUID | str) -> object:
    return couple.pk if isinstance(couple, Couple) else couple
