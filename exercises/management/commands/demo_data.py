"""Demo accounts and a lived-in couple, for local mode (`make run`).

Everything is written through the same services the pages call, so every rule holds (who may
share what, consent, one answer per request…). Each part is written once: running the command
again finds it and adds nothing. It lives in `exercises`, the top floor, because it writes in
every app."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from couples.access import active_couple_for
from couples.models import Couple, Membership, TherapistLink, User
from couples.services import (
    invitation_accept,
    invitation_create,
    therapist_consent_give,
    therapist_link_create,
)
from dialogue.models import Dialogue
from dialogue.services import dialogue_invite_therapist, dialogue_start, turn_submit
from exercises.models import Entry, Homework, Kind, Note, Visibility
from exercises.registry import GIFT_KINDS, KINDS
from exercises.services import (
    appreciation_acknowledge,
    entry_create,
    gift_log,
    homework_answer,
    homework_assign,
    note_create,
    request_choose_gift,
)

DEMO_PASSWORD = "imago-demo-2026"
DEMO_PEOPLE = [
    ("alice@example.com", "Alice", User.Role.PARTNER, ""),
    ("bob@example.com", "Bob", User.Role.PARTNER, ""),
    ("carol@example.com", "Carol", User.Role.THERAPIST, "Certified Imago therapist"),
]
PRIVATE, PARTNER, THERAPIST = Visibility.PRIVATE, Visibility.PARTNER, Visibility.THERAPIST


def _rows(items: list[dict[str, str]]) -> dict[str, str]:
    data = {
        "rows-TOTAL_FORMS": str(len(items)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data.update({f"rows-{n}-{key}": value for key, value in item.items()})
    return data


def _temperature(days_ago: int, **fields: str) -> dict[str, str]:
    day = timezone.localdate() - timedelta(days=days_ago)
    blank = ("appreciations", "new_information", "puzzles", "complaint", "complaint_request")
    return (
        {"reading_on": day.isoformat(), "together": "on", "wishes": ""}
        | dict.fromkeys(blank, "")
        | fields
    )


# (author, kind, visibility, days ago, what they typed in the form)
ENTRIES: list[tuple[str, str, int, int, dict[str, str]]] = [
    ("Alice", Kind.APPRECIATION, PARTNER, 12, {
        "appreciate": "the way you made tea for me every morning last week",
        "because": "it told me you think of me before the day takes you",
        "feeling": "cherished",
    }),
    ("Bob", Kind.APPRECIATION, THERAPIST, 9, {
        "appreciate": "how you listened on Sunday without jumping in",
        "because": "I could finally say the whole thing",
        "feeling": "heard",
    }),
    ("Alice", Kind.APPRECIATION, PRIVATE, 2, {
        "appreciate": "your patience with my mother at the weekend",
        "because": "I know she is not easy",
        "feeling": "grateful",
    }),
    ("Alice", Kind.CARING, PARTNER, 20, {"note": "Small things matter most to me."} | _rows([
        {"category": "now", "text": "bring me coffee in bed on Saturdays", "rating": "5"},
        {"category": "now", "text": "text me when you leave work", "rating": "4"},
        {"category": "past", "text": "leave little notes in my bag", "rating": "4"},
        {"category": "future", "text": "plan a picnic without telling me", "rating": "3"},
    ])),
    ("Bob", Kind.CARING, PRIVATE, 18, {"note": ""} | _rows([
        {"category": "now", "text": "ask about my day before your news", "rating": "5"},
        {"category": "past", "text": "walk with me after dinner", "rating": "4"},
    ])),
    ("Alice", Kind.REQUEST, THERAPIST, 15, {
        "frustration": "When you come home late without a word, I feel forgotten.",
        "desire": "to feel that I matter to you during the day",
    } | _rows([
        {"what": "Text me when you leave work", "when": "on weekdays", "duration_days": "14"},
        {"what": "Call me at lunch", "when": "twice a week", "duration_days": "21"},
        {"what": "Tell me your plans each morning", "when": "every day", "duration_days": "7"},
    ])),
    ("Bob", Kind.REQUEST, PRIVATE, 3, {
        "frustration": "When plans change at the last minute, I feel thrown.",
        "desire": "to feel we decide our weekends together",
    } | _rows([
        {"what": "Tell me by Thursday what you plan", "when": "each week", "duration_days": "14"},
        {"what": "Ask me before saying yes for us", "when": "always", "duration_days": "21"},
        {"what": "Keep one Sunday a month free", "when": "monthly", "duration_days": "30"},
    ])),
    ("Alice", Kind.VISION, PARTNER, 25, {"note": ""} | _rows([
        {"statement": "We settle our differences calmly", "importance": "5", "hard": "on"},
        {"statement": "We laugh together every day", "importance": "4"},
        {"statement": "We travel somewhere new each year", "importance": "3"},
    ])),
    ("Bob", Kind.VISION, PARTNER, 24, {"note": ""} | _rows([
        {"statement": "We have time alone together every week", "importance": "5"},
        {"statement": "We support each other's work", "importance": "4", "hard": "on"},
    ])),
    ("Alice", Kind.TEMPERATURE, PRIVATE, 6, _temperature(
        6, appreciations="Thank you for dinner on Tuesday", wishes="A weekend by the sea"
    )),
    ("Bob", Kind.TEMPERATURE, PARTNER, 1, _temperature(
        1,
        appreciations="Thank you for fixing the bike",
        new_information="My sister visits on Friday",
        puzzles="Why did you go quiet after the call with your boss?",
    )),
    ("Alice", Kind.WORKUP, PRIVATE, 30, {"note": ""} | _rows([
        {"name": "Mother", "positive_traits": "warm, funny", "negative_traits": "anxious",
         "enjoyed": "baking together", "disliked": "being compared", "wanted": "to be seen",
         "most_influential": "on"},
        {"name": "Father", "positive_traits": "steady", "negative_traits": "distant",
         "enjoyed": "fishing trips", "disliked": "the silences", "wanted": "his time"},
    ])),
    ("Bob", Kind.WORKUP, THERAPIST, 28, {"note": ""} | _rows([
        {"name": "Grandmother", "positive_traits": "kind, patient",
         "negative_traits": "worried", "enjoyed": "her stories", "disliked": "the rules",
         "wanted": "more freedom", "most_influential": "on"},
    ])),
    ("Bob", Kind.TRAITS, PARTNER, 8, {"note": "For our next flooding."} | _rows([
        {"category": "physical", "text": "your laugh when you're surprised"},
        {"category": "character", "text": "how brave you are with new things"},
        {"category": "caring", "text": "the soup you make when I'm ill"},
    ])),
    ("Alice", Kind.TRAITS, THERAPIST, 7, {"note": ""} | _rows([
        {"category": "character", "text": "how patient you are with my mother"},
        {"category": "caring", "text": "the tea you bring me when I work late"},
    ])),
    ("Alice", Kind.WOUND, PRIVATE, 10, {
        "caretaker": "Mother", "age": "about seven",
        "what_hurt": "Being told to stop crying when the dog died",
        "what_missing": "Someone to sit with me when I was sad",
        "what_needed": "To hear that my sadness made sense",
    }),
    ("Bob", Kind.WOUND, THERAPIST, 11, {
        "caretaker": "Father", "age": "ten or eleven",
        "what_hurt": "Waiting for him at the window on Sundays",
        "what_missing": "", "what_needed": "To know I was worth his time",
    }),
    ("Alice", Kind.SURPRISES, PARTNER, 5, {"note": ""} | _rows([
        {"category": "surprise", "text": "breakfast in the garden"},
        {"category": "surprise", "text": "flowers for no reason"},
        {"category": "fun", "text": "a salsa class together"},
    ])),
    ("Bob", Kind.SURPRISES, PRIVATE, 4, {"note": ""} | _rows([
        {"category": "fun", "text": "a bike ride to the lake"},
        {"category": "surprise", "text": "tickets to a match"},
    ])),
]  # fmt: skip

# A dialogue on a real topic, start to end: (who, action, what they said).
DIALOGUE_TOPIC = "Our Sunday evenings"
DIALOGUE_SCRIPT = [
    ("Alice", "request", "Is now a good time to talk about our Sunday evenings?"),
    ("Bob", "accept", ""),
    ("Alice", "send", "On Sunday evenings you're on your laptop, and I feel alone before the "
     "week starts."),
    ("Bob", "mirror", "If I got it, on Sunday evenings I'm on my laptop, and you feel alone "
     "before the week starts. Did I get it?"),
    ("Alice", "confirm", ""),
    ("Bob", "ask_more", ""),
    ("Alice", "done", ""),
    ("Bob", "summarize", "Let me see if I got it all: Sunday evenings feel lonely to you while "
     "I work, right before a busy week. Did I get all of that?"),
    ("Alice", "confirm", ""),
    ("Bob", "validate", "You make sense to me, because Sunday is our last quiet time together "
     "and I spend it somewhere else."),
    ("Alice", "acknowledge", ""),
    ("Bob", "empathize", "I imagine you might be feeling lonely, and maybe a little sad. Is "
     "that how you feel?"),
    ("Alice", "confirm", ""),
    ("Alice", "end", "Thank you for listening."),
]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Create demo accounts (local mode only): Alice and Bob paired, Carol their therapist, "
        "with entries of every exercise, a dialogue, homework and notes."
    )

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts exist only in local mode (IMAGO_DEBUG=1).")
        with transaction.atomic():
            people = _people()
            alice, bob = people["Alice"], people["Bob"]
            if not active_couple_for(alice) and not active_couple_for(bob):
                invitation_accept(user=bob, token=invitation_create(inviter=alice).token)
            couple = active_couple_for(alice)
            if couple is not None and couple.partners.filter(pk=bob.pk).exists():
                _lived_in(couple, people)
        self.stdout.write(self.style.SUCCESS("Demo accounts (local mode only):"))
        for email, name, role, _title in DEMO_PEOPLE:
            self.stdout.write(f"  {name:<6} {role:<9}  {email:<20} password: {DEMO_PASSWORD}")
        # `make run` passes the address daphne will serve on.
        host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
        self.stdout.write(
            f"  Alice and Bob are a couple. Open http://{host}:{port} in two browsers."
        )
        self.stdout.write(
            "  Carol is their therapist, with both partners' consent (she sets up a second "
            "factor at her first sign-in)."
        )


def _people() -> dict[str, User]:
    people = {}
    for email, name, role, title in DEMO_PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, display_name=name, role=role, professional_title=title
            )
        people[name] = user
    return people


def _lived_in(couple: Couple, people: dict[str, User]) -> None:
    """Each part once: what is already there is left as it is."""
    alice, bob, carol = people["Alice"], people["Bob"], people["Carol"]
    if not TherapistLink.objects.filter(couple=couple, revoked_at__isnull=True).exists():
        link = therapist_link_create(couple=couple, therapist=carol, by=alice)
        therapist_consent_give(link=link, partner=bob)
    if not Entry.objects.filter(couple=couple).exists():
        _entries(couple, people)
    _dated_before_the_entries(couple, people)
    if not Dialogue.objects.filter(couple=couple).exists():
        _dialogue(couple, people)
    if not Homework.objects.filter(couple=couple).exists():
        _homework(couple, people)
    if not Note.objects.filter(couple=couple).exists():
        note_create(
            couple=couple,
            by=carol,
            text="Alice names loneliness on Sundays; Bob listened well. Explore his father's "
            "absences next time.",
        )
        note_create(
            couple=couple,
            by=carol,
            to_couple=True,
            text="Well done on your first full dialogue. Keep Sunday evenings for each other "
            "this week.",
        )


def _dated_before_the_entries(couple: Couple, people: dict[str, User]) -> None:
    """The entries are dated over the past weeks: the couple was formed (and its partners
    joined Imago) before the oldest of them, not this minute. Only moves dates back, so a
    second run changes nothing."""
    oldest = (
        Entry.objects.filter(couple=couple)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if oldest is None:
        return
    paired = oldest - timedelta(days=1)
    joined = paired - timedelta(days=1)
    Couple.objects.filter(pk=couple.pk, created_at__gt=paired).update(created_at=paired)
    Membership.objects.filter(couple=couple, joined_at__gt=paired).update(joined_at=paired)
    User.objects.filter(
        pk__in=[people["Alice"].pk, people["Bob"].pk], date_joined__gt=joined
    ).update(date_joined=joined)


def _entries(couple: Couple, people: dict[str, User]) -> None:
    now = timezone.now()
    written = {}
    for author, kind, visibility, days_ago, data in ENTRIES:
        spec = KINDS[kind]
        detail = spec.model()
        form = spec.form(data, instance=detail)
        formset = spec.formset(data, instance=detail, prefix="rows") if spec.formset else None
        if not form.is_valid() or (formset is not None and not formset.is_valid()):
            raise CommandError(f"Demo {kind} by {author} is not valid: {form.errors}")
        entry = entry_create(
            author=people[author], kind=kind, visibility=visibility, form=form, formset=formset
        )
        # Written over the past weeks, not all this minute: only the dates are dressed up.
        at = now - timedelta(days=days_ago, hours=days_ago % 5)
        Entry.objects.filter(pk=entry.pk).update(created_at=at, updated_at=at)
        written.setdefault((author, kind), entry)
    bob = people["Bob"]
    appreciation_acknowledge(entry=written["Alice", Kind.APPRECIATION], by=bob)
    request = written["Alice", Kind.REQUEST]
    request_choose_gift(entry=request, by=bob, item_id=request.request.items.first().pk)
    yesterday = timezone.localdate() - timedelta(days=1)
    for kind in GIFT_KINDS:  # a gift given on each of Alice's shared lists
        entry = written["Alice", kind]
        first = (
            GIFT_KINDS[kind]
            .gifts.item_model.objects.filter(**{GIFT_KINDS[kind].gifts.entry_path: entry})
            .first()
        )
        gift_log(kind=kind, item_id=first.pk, by=bob, given_on=yesterday)


def _dialogue(couple: Couple, people: dict[str, User]) -> None:
    dialogue = dialogue_start(couple=couple, user=people["Alice"], topic=DIALOGUE_TOPIC)
    for who, action, text in DIALOGUE_SCRIPT:
        turn_submit(
            dialogue_id=dialogue.pk,
            user=people[who],
            action=action,
            text=text,
            client_msg_id=uuid.uuid4().hex,
        )
    # Alice asks Carol to read it: a consented therapist sees a dialogue only when invited.
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=people["Alice"], invite=True)


def _homework(couple: Couple, people: dict[str, User]) -> None:
    alice, bob, carol = people["Alice"], people["Bob"], people["Carol"]
    caring = homework_assign(
        couple=couple,
        by=carol,
        kind=Kind.CARING,
        instructions="Each of you: give one caring behavior from your partner's list every day.",
        due_on=timezone.localdate() + timedelta(days=7),
    )
    homework_answer(homework_id=caring.pk, by=bob, state=Homework.State.DONE)
    homework_assign(
        couple=couple,
        by=carol,
        kind=Kind.WOUND,
        assignee=alice,
        instructions="Write about one moment with your mother that still hurts. Keep it private "
        "if you like.",
    )
