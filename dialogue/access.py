"""Which dialogues and turns a viewer may see, and as whom: the one place that answers it.

Partners see every dialogue of a couple they are (or were) in and act in it as sender or
receiver while the couple is active. A therapist sees a dialogue only while both partners'
consent stands and a partner invited them to it under the link in force now; they watch as
the observer and never act. Anyone else: None, and views turn that into a 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from couples.access import AccessRole, active_couple_for, couple_access_role, look_record
from couples.models import Couple, User

from . import flow
from .models import Dialogue, DialogueQuerySet, Turn
from .rows import dialogue_row


@dataclass(frozen=True)
class StartAccess:
    """Whether `user` may start a dialogue, and in which couple; if not, whether pairing with a
    partner would let them (a therapist never starts one, paired or not); whether the practice
    round against a scripted partner is for them (partners only)."""

    couple: Couple | None
    may_pair: bool
    may_practise: bool


def dialogue_start_access(user: User) -> StartAccess:
    couple = active_couple_for(user)
    partner = not user.is_therapist
    return StartAccess(couple=couple, may_pair=couple is None and partner, may_practise=partner)


def dialogues_visible(user: User, *, couple: Couple | None = None) -> DialogueQuerySet:
    """Every dialogue `user` may see (optionally of one couple), with what pages show."""
    dialogues = Dialogue.objects.visible_to(user).select_related("couple", "sender", "receiver")
    if couple is not None:
        dialogues = dialogues.filter(couple=couple)
    return dialogues


def turns_visible(user: User, *, couple: Couple | None = None) -> QuerySet[Turn]:
    """Every turn of every dialogue `user` may see (optionally of one couple)."""
    return Turn.objects.filter(
        dialogue__in=dialogues_visible(user, couple=couple).values("pk")
    ).select_related("author")


def dialogue_access(*, user: User, pk: object) -> tuple[Dialogue, flow.Role] | None:
    """The dialogue and the user's role in it (sender, receiver or observer), or None for anyone
    who may not see it — whether or not it exists.

    The same rule as `dialogues_visible`, asked in the cheaper order: a partner of the couple
    sees every dialogue of it (the rule's first half), and only a therapist of the couple is
    asked the whole rule (a partner invited them to this dialogue under the link in force)."""
    if not user.is_authenticated:
        return None
    try:
        dialogue = dialogue_row(pk, lock=False)
    except Dialogue.DoesNotExist:
        return None
    role = couple_access_role(couple=dialogue.couple_id, user=user)
    if role == AccessRole.PARTNER:
        return dialogue, dialogue.role_of(user)
    if role == AccessRole.THERAPIST and dialogues_visible(user).filter(pk=dialogue.pk).exists():
        return dialogue, flow.Role.OBSERVER
    return None


def get_dialogue_for_user(
    request: HttpRequest, pk: object, *, what: str = ""
) -> tuple[Dialogue, flow.Role]:
    """The dialogue and the requester's role in it; 404 for anyone else, so another couple's
    dialogue is indistinguishable from one that does not exist. With `what`, a therapist's look
    is recorded under that description."""
    access = dialogue_access(user=request.user, pk=pk)
    if access is None:
        raise Http404("No such dialogue.")
    if what:
        dialogue = access[0]
        look_record(
            viewer=request.user,
            couples=dialogue.couple,
            what=f"{what}: “{dialogue.topic}”",
            path=request.path,
        )
    return access
