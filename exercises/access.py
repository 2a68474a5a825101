"""Which exercise data a viewer may see, and what they may do with each entry: the one place.

Reading starts from `Entry.objects.visible_to` (author; partner when shared with the partner;
the couple's therapist when shared with the therapist and both consents stand), optionally
scoped to one couple. What a viewer may *do* with an entry is computed here once, as
`entry.can` (an `EntryCan`), and templates read those flags; services check the same rules
again inside their transactions, so a forged request is refused even without the page.

Views call `get_entry_for_user(request, pk, need=...)` for one entry (404 for anyone else,
never 403) and the `*_visible` functions for lists; neither adds a filter of its own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from uuid import UUID

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.utils import timezone

from couples.access import (
    AccessRole,
    CoupleAccess,
    Reach,
    active_couple_for,
    get_couple_for_user,
    look_record,
    reach,
)
from couples.models import Couple, User

from .models import (
    Entry,
    EntryQuerySet,
    FollowThrough,
    Homework,
    Kind,
    Note,
    RequestItem,
    Visibility,
    VisionItem,
)
from .registry import DETAIL_RELATIONS, GIFT_KINDS, KINDS


@dataclass(frozen=True)
class EntryCan:
    """What one viewer may do with one entry they can read."""

    read: bool = True
    author: bool = False  # the viewer wrote it
    act: bool = False  # the viewer is one of the couple: its services hear (and explain) them
    edit: bool = False  # change its words (the author, until answered or the couple ended)
    share: bool = False  # change who sees it (the author)
    delete: bool = False  # the author, always: it is their data
    answer: bool = False  # thank / choose a gift or decline / give or set aside a caring item
    log: bool = False  # log follow-through on the chosen request, while it runs
    export: bool = False  # part of the viewer's own export (what they wrote)


class ViewerCan:
    """What a viewer may do on exercise pages regardless of any one entry. The couple is looked
    up only when a page asks for it (or for `share`)."""

    def __init__(self, user: User) -> None:
        self.user = user

    @property
    def write(self) -> bool:
        """May write new entries: partners, not therapists."""
        return self.user.is_authenticated and not self.user.is_therapist

    @cached_property
    def couple(self) -> Couple | None:
        """The couple they are an active partner of now."""
        return active_couple_for(self.user)

    @property
    def share(self) -> bool:
        """May share what they write: only while in an active couple."""
        return self.couple is not None


def viewer_can(user: User) -> ViewerCan:
    return ViewerCan(user)


# --- Lists of what a viewer may see ------------------------------------------------------------


def entries_visible(user: User, *, couple: Couple | UUID | None = None) -> EntryQuerySet:
    """Every entry `user` may read (optionally of one couple), with author, couple and the
    kind's detail row joined."""
    entries = Entry.objects.visible_to(user).select_related("author", "couple", *DETAIL_RELATIONS)
    if couple is not None:
        entries = entries.filter(couple=couple)
    return entries


def entries_shared(user: User, *, couple: Couple | UUID | None = None) -> EntryQuerySet:
    """The shared history: what the partners share with each other (a partner sees both
    partners' shared entries; the couple's therapist sees what was shared with them)."""
    return entries_visible(user, couple=couple).filter(
        visibility__gte=Visibility.PARTNER, couple__isnull=False
    )


def entries_activity(user: User, *, couple: Couple | UUID | None = None) -> EntryQuerySet:
    """What the overview counts and charts: for a partner, their own entries and what is shared
    with them in `couple` (their current couple by default); for a therapist, what is shared
    with them (in `couple`, or in all their couples)."""
    entries = entries_visible(user)
    if user.is_authenticated and user.is_therapist:
        return entries.filter(couple=couple) if couple is not None else entries
    if couple is None:
        couple = active_couple_for(user)
    mine = entries.filter(author=user)
    return (entries.filter(author=user) | entries.filter(couple=couple)) if couple else mine


def entries_export(user: User) -> EntryQuerySet:
    """The viewer's own export: every entry they wrote, whatever its visibility."""
    return entries_visible(user).filter(author=user)


def gifts_visible(
    user: User, kind: str, *, couple: Couple | UUID | None = None
) -> QuerySet[models.Model]:
    """Gifts logged on the lists of `kind` (caring behaviors, surprises) `user` may read."""
    gifts = GIFT_KINDS[kind].gifts
    return gifts.gift_model.objects.filter(
        **{f"item__{gifts.entry_path}__in": entries_shared(user, couple=couple).values("pk")}
    ).select_related("item", "giver")


def follow_through_visible(
    user: User, *, couple: Couple | UUID | None = None
) -> QuerySet[FollowThrough]:
    """Follow-through logged on requests `user` may read."""
    return FollowThrough.objects.filter(
        item__request__entry__in=entries_visible(user, couple=couple).values("pk")
    ).select_related("item", "author")


def requests_waiting(user: User, couple: Couple) -> EntryQuerySet:
    """The partner's shared requests `user` has not answered yet, in `couple`."""
    return (
        entries_shared(user, couple=couple)
        .exclude(author=user)
        .filter(kind=Kind.REQUEST, request__declined_at__isnull=True)
        .exclude(
            Exists(RequestItem.objects.filter(request=OuterRef("pk"), chosen_at__isnull=False))
        )
    )


def readings_visible(
    user: User, *, start: date, end: date, couple: Couple | UUID | None = None
) -> EntryQuerySet:
    """Temperature readings `user` may read, dated between `start` and `end`."""
    return (
        entries_visible(user, couple=couple)
        .filter(kind=Kind.TEMPERATURE, temperature__reading_on__range=(start, end))
        .order_by("temperature__reading_on", "created_at")
    )


def vision_items_visible(user: User) -> QuerySet[VisionItem]:
    return VisionItem.objects.filter(vision__entry__in=entries_visible(user).values("pk"))


def gift_items_visible(user: User, kind: str) -> QuerySet[models.Model]:
    """Items of the lists of `kind` (caring behaviors, surprises) `user` may read."""
    gifts = GIFT_KINDS[kind].gifts
    return gifts.item_model.objects.filter(
        **{f"{gifts.entry_path}__in": entries_visible(user).values("pk")}
    )


# --- What a viewer may do with each entry ------------------------------------------------------


def entry_can(entry: Entry, viewer: Reach, *, today: date | None = None) -> EntryCan:
    """The one rule for what `viewer` may do with `entry` (which they can read)."""
    today = today or timezone.localdate()
    mine = entry.author_id == viewer.user.pk
    partner = not mine and viewer.role(entry.couple_id) == AccessRole.PARTNER
    couple_active = entry.couple is not None and entry.couple.ended_at is None
    in_couple_now = (mine or partner) and couple_active
    spec = KINDS[entry.kind]
    answered = spec.locked(entry)
    answer = partner and couple_active and spec.answerable is not None and spec.answerable(entry)
    log = in_couple_now and spec.loggable(entry, today)
    return EntryCan(
        read=True,
        author=mine,
        act=mine or partner,
        edit=mine
        and not answered
        and not (entry.is_shared and entry.couple is not None and not couple_active),
        share=mine,
        delete=mine,
        answer=answer,
        log=log,
        export=mine,
    )


def prefetch_details(entries: list[Entry]) -> list[Entry]:
    """Each kind's rows, in a fixed number of queries per kind whatever the number of entries.
    The entries must come with their detail (`entries_visible` joins it)."""
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_kind[entry.kind].append(entry)
    for kind, group in by_kind.items():
        if KINDS[kind].prefetch:
            prefetch_related_objects(group, *KINDS[kind].prefetch)
    return entries


def entries_prepare(entries: Iterable[Entry], user: User, *, viewer: Reach | None = None) -> list:
    """Prefetch each kind's rows (a fixed number of queries per kind on the page, whatever the
    number of entries) and attach `entry.can` and what the templates show about the viewer."""
    entries = prefetch_details(list(entries))
    viewer = viewer or reach(user)
    today = timezone.localdate()
    for entry in entries:
        entry.spec = KINDS[entry.kind]
        entry.can = entry_can(entry, viewer, today=today)
        entry.is_mine = entry.author_id == user.pk
        entry.viewer_is_partner = (
            not entry.is_mine and viewer.role(entry.couple_id) == AccessRole.PARTNER
        )
        entry.visibility_choices = Visibility.choices
        if entry.spec.prepare is not None:
            entry.spec.prepare(entry, user, today)
    return entries


def get_entry_for_user(request: HttpRequest, pk: object, *, need: str = "read") -> Entry:
    """The entry, prepared, if the requester may read it and may do `need` with it (an
    `EntryCan` field); 404 otherwise (never 403: no hint it exists). A therapist's look is
    recorded for the partners to see."""
    entry = entries_visible(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404("No such entry.")
    entry = entries_prepare([entry], request.user)[0]
    if not getattr(entry.can, need):
        raise Http404("No such entry.")
    look_record(
        viewer=request.user,
        couples=entry.couple,
        what=f"{KINDS[entry.kind].label} by {entry.author}: “{entry.title}”",
        path=request.path,
    )
    return entry


def get_gift_item_entry(
    request: HttpRequest, kind: str, item_pk: object, *, need: str = "read"
) -> Entry:
    """The entry of an item of a list of `kind` (caring behaviors, surprises) the requester may
    read (and do `need` with); 404 otherwise."""
    if kind not in GIFT_KINDS:
        raise Http404("No such list.")
    entry_id = (
        gift_items_visible(request.user, kind)
        .filter(pk=item_pk)
        .values_list(GIFT_KINDS[kind].gifts.entry_path, flat=True)
        .first()
    )
    if entry_id is None:
        raise Http404(f"No such {GIFT_KINDS[kind].gifts.noun}.")
    return get_entry_for_user(request, entry_id, need=need)


def get_vision_item(request: HttpRequest, item_pk: object) -> VisionItem:
    item = vision_items_visible(request.user).filter(pk=item_pk).first()
    if item is None:
        raise Http404("No such statement.")
    return item


def scope_couple(request: HttpRequest, pk: object | None) -> Couple | None:
    """The couple a page is scoped to: `pk` if given (404 unless the requester reaches it),
    else None (every couple the requester reaches)."""
    if not pk:
        return None
    return get_couple_for_user(request, pk).couple


def vision_couple(request: HttpRequest, pk: object | None = None) -> CoupleAccess:
    """The couple whose shared vision the requester may read, with their rights in it: by
    default the requester's active couple; with `pk`, any couple they reach (a consented
    therapist reads their client's shared vision). 404 otherwise."""
    if pk:
        return get_couple_for_user(request, pk)
    couple = active_couple_for(request.user)
    if couple is None:
        raise Http404("No couple.")
    return get_couple_for_user(request, couple.pk)


# --- The therapist's desk: clients, homework, notes --------------------------------------------


def get_client_for_therapist(request: HttpRequest, pk: object) -> Couple:
    """The couple whose desk the requester opens: only its therapist, with both partners'
    consent in force, gets it; everyone else (its partners too) a 404."""
    access = get_couple_for_user(request, pk)
    if not access.is_therapist:
        raise Http404("No such couple.")
    return access.couple


def homework_visible(user: User, *, couple: Couple | UUID | None = None) -> QuerySet[Homework]:
    """Homework `user` may read: all of a couple's homework for its partners (also after it
    ended); what a therapist assigned, while their access to the couple stands."""
    homework = Homework.objects.visible_to(user)
    return homework.filter(couple=couple) if couple is not None else homework


def notes_visible(user: User, *, couple: Couple | UUID | None = None) -> QuerySet[Note]:
    """Notes `user` may read: a therapist's own (session notes and notes to the couple), while
    their access stands; for partners, the notes addressed to their couple, and no other."""
    notes = Note.objects.visible_to(user)
    return notes.filter(couple=couple) if couple is not None else notes
