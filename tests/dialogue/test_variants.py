"""The dialogue variants: each one's rule book written out literally and decide() checked against
it, every step worded, and each variant walked end to end through the same service."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from dialogue import flow
from dialogue.flow import Action, FlowError, Role, State, Step
from dialogue.models import Dialogue, Turn
from dialogue.services import (
    DialogueError,
    coaching_submit,
    dialogue_invite_therapist,
    dialogue_start,
    turn_submit,
)

from .conftest import ClientFor

# (step, who, action) -> next step, for each variant other than the standard (test_flow.py).
RULE_BOOKS: dict[str, dict[tuple[str, str, str], str]] = {
    "parent_child": {
        ("appointment", "sender", "request"): "appointment_reply",
        ("appointment", "sender", "propose"): "appointment_reply",
        ("appointment_reply", "receiver", "accept"): "invite",
        ("appointment_reply", "receiver", "decline"): "appointment",
        ("invite", "receiver", "ask"): "send",
        ("send", "sender", "send"): "mirror",
        ("mirror", "receiver", "mirror"): "check",
        ("check", "sender", "confirm"): "more",
        ("check", "sender", "correct"): "mirror",
        ("more", "receiver", "ask_more"): "more_answer",
        # The child answers the parent's next question in their own words, or says that's all.
        ("more_answer", "sender", "send"): "mirror",
        ("more_answer", "sender", "done"): "summary",
        ("summary", "receiver", "summarize"): "summary_check",
        ("summary_check", "sender", "confirm"): "validation",
        ("summary_check", "sender", "correct"): "summary",
        ("validation", "receiver", "validate"): "validation_ack",
        ("validation_ack", "sender", "acknowledge"): "empathy",
        ("empathy", "receiver", "empathize"): "empathy_check",
        ("empathy_check", "sender", "confirm"): "respond",
        ("empathy_check", "sender", "correct"): "empathy",
        ("respond", "receiver", "respond"): "close",
        ("close", "sender", "swap"): "invite",
        ("close", "receiver", "swap"): "invite",
        ("close", "sender", "end"): "ended",
    },
    "container": {
        # Only by appointment: no "Ask to talk now".
        ("appointment", "sender", "propose"): "appointment_reply",
        ("appointment_reply", "receiver", "accept"): "send",
        ("appointment_reply", "receiver", "decline"): "appointment",
        ("send", "sender", "send"): "mirror",
        ("mirror", "receiver", "mirror"): "check",
        ("check", "sender", "more"): "send",
        ("check", "sender", "done"): "hurt",
        ("check", "sender", "correct"): "mirror",
        ("hurt", "sender", "send"): "hurt_mirror",
        ("hurt_mirror", "receiver", "mirror"): "hurt_check",
        ("hurt_check", "sender", "confirm"): "wish",
        ("hurt_check", "sender", "correct"): "hurt_mirror",
        ("wish", "sender", "send"): "wish_mirror",
        ("wish_mirror", "receiver", "mirror"): "care",
        ("care", "receiver", "care"): "close",
        ("close", "sender", "end"): "ended",
    },
    "flooding": {
        ("appointment", "sender", "request"): "appointment_reply",
        ("appointment", "sender", "propose"): "appointment_reply",
        ("appointment_reply", "receiver", "accept"): "flood",
        ("appointment_reply", "receiver", "decline"): "appointment",
        ("flood", "sender", "send"): "flood",
        ("flood", "sender", "done"): "thanks",
        ("thanks", "receiver", "thank"): "close",
        ("close", "sender", "swap"): "flood",
        ("close", "receiver", "swap"): "flood",
        ("close", "sender", "end"): "ended",
    },
    "reversal": {
        ("appointment", "sender", "request"): "appointment_reply",
        ("appointment", "sender", "propose"): "appointment_reply",
        ("appointment_reply", "receiver", "accept"): "send",
        ("appointment_reply", "receiver", "decline"): "appointment",
        ("send", "sender", "send"): "check",
        ("check", "receiver", "confirm"): "close",
        ("check", "receiver", "correct"): "mirror",
        ("mirror", "sender", "mirror"): "check",
        ("close", "sender", "more"): "send",
        ("close", "sender", "swap"): "send",
        ("close", "receiver", "swap"): "send",
        ("close", "sender", "end"): "ended",
    },
}
ROWS = [(kind, *row) for kind, book in RULE_BOOKS.items() for row in book]
PARTNERS = ("sender", "receiver")


@pytest.mark.parametrize(("kind", "step", "role", "action"), ROWS)
def test_each_row_of_each_variants_rule_book_moves_to_the_step_it_names(
    kind: str, step: str, role: str, action: str
) -> None:
    outcome = flow.VARIANTS[kind].decide(State(Step(step)), role, action)
    assert outcome.state == State(Step(RULE_BOOKS[kind][(step, role, action)]))
    assert outcome.swap_roles is (action == "swap")


@pytest.mark.parametrize("kind", list(RULE_BOOKS))
def test_each_variant_offers_exactly_its_rows_and_refuses_the_rest(kind: str) -> None:
    variant, book = flow.VARIANTS[kind], RULE_BOOKS[kind]
    assert {(s.value, r.value, a.value) for (s, r, a) in variant.transitions} == set(book)
    extra = ["timeout", "stop"] if kind == "container" else ["timeout"]
    for step in {s for (s, _r, _a) in book}:
        for role in PARTNERS:
            offered = [a.value for a in variant.allowed_actions(State(Step(step)), Role(role))]
            assert offered == [a for (s, r, a) in book if (s, r) == (step, role)] + extra
            for action in Action:
                if (step, role, action.value) in book or action.value in ("timeout", "stop"):
                    continue
                with pytest.raises(FlowError) as caught:
                    variant.decide(State(Step(step)), role, action)
                assert caught.value.code in {"not_your_turn", "wrong_step"}


@pytest.mark.parametrize("kind", list(flow.VARIANTS))
def test_every_step_of_every_variant_has_guidance_a_phase_and_words_for_each_move(
    kind: str,
) -> None:
    variant = flow.VARIANTS[kind]
    steps = {s for (s, _r, _a) in variant.transitions} | set(variant.transitions.values())
    phases = [key for key, _label in variant.phases]
    for step in steps:
        assert variant.step_labels[step]
        assert variant.phase_of[step] in phases
        for role in PARTNERS:
            acting, waiting = variant.guidance_for(step, Role(role))
            assert acting and waiting
    for step, role, action in variant.transitions:
        assert variant.label(step, role, action)
        assert variant.stems_for(step, role, action)
        assert variant.verbs[action]
    for role in (*PARTNERS, "observer"):
        assert variant.you_are[Role(role)]


def test_either_partner_may_stop_the_container_at_any_moment_even_during_a_time_out() -> None:
    container = flow.VARIANTS["container"]
    for step, role, paused in itertools.product(("send", "hurt_mirror", "care"), PARTNERS, (0, 1)):
        outcome = container.decide(State(Step(step), paused=bool(paused)), role, "stop")
        assert outcome.state == State(Step.ENDED)
    with pytest.raises(FlowError) as caught:
        flow.STANDARD.decide(State(Step.SEND), "sender", "stop")
    assert caught.value.code == "wrong_step"


def test_the_parent_child_dialogue_asks_as_the_parent_and_answers_out_of_the_role() -> None:
    parent_child = flow.VARIANTS["parent_child"]
    assert parent_child.stems_for(Step.INVITE, Role.RECEIVER, Action.ASK) == (
        "I am your mother. What was it like for you to live with me?",
        "I am your father. What was it like for you to live with me?",
    )
    assert "What was the worst of it?" in parent_child.stems_for(
        Step.MORE, Role.RECEIVER, Action.ASK_MORE
    )
    # After the next question the child answers in their own words (or says that's all).
    assert parent_child.allowed_actions(State(Step.MORE_ANSWER), Role.SENDER) == [
        Action.SEND, Action.DONE, Action.TIMEOUT,
    ]  # fmt: skip
    assert parent_child.label(Step.MORE_ANSWER, Role.SENDER, Action.SEND) == "Send my answer"
    assert parent_child.stems_for(Step.MORE_ANSWER, Role.SENDER, Action.SEND)[0] == (
        "The worst of it was…"
    )
    assert Action.SEND in parent_child.text_required
    assert parent_child.stems_for(Step.RESPOND, Role.RECEIVER, Action.RESPOND) == (
        "Now that I know this, …",
    )


# --- End to end through the service ----------------------------------------------------------

SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "standard": [
        ("s", "request"), ("r", "accept"), ("s", "send"), ("r", "mirror"), ("s", "confirm"),
        ("r", "ask_more"), ("s", "done"), ("r", "summarize"), ("s", "confirm"),
        ("r", "validate"), ("s", "acknowledge"), ("r", "empathize"), ("s", "confirm"),
        ("s", "end"),
    ],
    "parent_child": [
        ("s", "request"), ("r", "accept"), ("r", "ask"), ("s", "send"), ("r", "mirror"),
        ("s", "confirm"), ("r", "ask_more"), ("s", "send"), ("r", "mirror"), ("s", "confirm"),
        ("r", "ask_more"), ("s", "done"), ("r", "summarize"), ("s", "confirm"),
        ("r", "validate"), ("s", "acknowledge"), ("r", "empathize"), ("s", "confirm"),
        ("r", "respond"), ("s", "end"),
    ],
    "container": [
        ("s", "propose"), ("r", "accept"), ("s", "send"), ("r", "mirror"), ("s", "more"),
        ("s", "send"), ("r", "mirror"), ("s", "done"), ("s", "send"), ("r", "mirror"),
        ("s", "confirm"), ("s", "send"), ("r", "mirror"), ("r", "care"), ("s", "end"),
    ],
    "flooding": [
        ("s", "request"), ("r", "accept"), ("s", "send"), ("s", "send"), ("s", "done"),
        ("r", "thank"), ("r", "swap"), ("s", "send"), ("s", "done"), ("r", "thank"),
        ("s", "end"),
    ],
    "reversal": [
        ("s", "request"), ("r", "accept"), ("s", "send"), ("r", "correct"), ("s", "mirror"),
        ("r", "confirm"), ("r", "swap"), ("s", "send"), ("r", "confirm"), ("s", "end"),
    ],
}  # fmt: skip
# The swap takes effect at once (no accept step): each button says it swaps now.
SWAP_LABELS = [
    ("standard", "sender", "Swap roles now"),
    ("standard", "receiver", "Swap roles now: I answer"),
    ("parent_child", "sender", "Swap roles now: my partner is the child"),
    ("parent_child", "receiver", "Swap roles now: I am the child"),
    ("flooding", "sender", "Swap now: my partner floods me"),
    ("flooding", "receiver", "Swap now: I flood my partner"),
    ("reversal", "sender", "Swap now: my partner speaks my view"),
    ("reversal", "receiver", "Swap now: I speak their view"),
]


@pytest.mark.parametrize(("kind", "role", "label"), SWAP_LABELS)
def test_the_swap_button_says_the_roles_swap_at_once(kind: str, role: str, label: str) -> None:
    assert flow.VARIANTS[kind].label(Step.CLOSE, Role(role), Action.SWAP) == label


EXTRAS = {"container": {"stage_minutes": 5}, "flooding": {"prepared": "Your laugh\nYour hands"}}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(SCRIPTS))
def test_each_variant_runs_from_appointment_to_its_end_through_the_same_service(
    kind: str, couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(
        couple=couple, user=alice, topic="us", kind=kind, **EXTRAS.get(kind, {})
    )
    for who, action in SCRIPTS[kind]:
        dialogue.refresh_from_db()
        user = dialogue.sender if who == "s" else dialogue.receiver
        turn_submit(
            dialogue_id=dialogue.pk, user=user, action=action, text="Words.",
            client_msg_id=uuid.uuid4().hex,
        )  # fmt: skip
    dialogue.refresh_from_db()
    assert (dialogue.kind, dialogue.step) == (kind, "ended")
    assert dialogue.ended_at is not None
    assert Turn.objects.filter(dialogue=dialogue).count() == len(SCRIPTS[kind])


@pytest.mark.django_db
def test_a_time_out_in_a_variant_pauses_and_resumes_at_the_same_step(
    couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="flooding", prepared="x")
    for user, action in [(alice, "request"), (bob, "accept"), (bob, "timeout")]:
        turn_submit(dialogue_id=dialogue.pk, user=user, action=action, text="Hi.",
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    dialogue.refresh_from_db()
    assert (dialogue.step, dialogue.paused) == ("flood", True)
    with pytest.raises(DialogueError) as caught:
        turn_submit(dialogue_id=dialogue.pk, user=alice, action="send", text="Your laugh",
                    client_msg_id="a")  # fmt: skip
    assert caught.value.code == "paused"
    turn_submit(dialogue_id=dialogue.pk, user=alice, action="resume", client_msg_id="b")
    dialogue.refresh_from_db()
    assert (dialogue.step, dialogue.paused) == ("flood", False)


@pytest.mark.django_db
def test_a_stopped_container_marks_done_only_the_stages_that_took_place(
    client_for: ClientFor, couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="container",
                              stage_minutes=3)  # fmt: skip
    room = reverse("dialogue:room", args=[dialogue.pk])
    turn_submit(dialogue_id=dialogue.pk, user=alice, action="stop", client_msg_id="s")
    page = client_for(alice).get(room).content.decode()
    assert "This dialogue has ended" in page
    assert "(done)" not in page
    second = dialogue_start(couple=couple, user=alice, topic="again", kind="container",
                            stage_minutes=3)  # fmt: skip
    moves = [(alice, "propose", "At nine?"), (bob, "accept", ""),
             (alice, "send", "I am angry."), (bob, "stop", "")]  # fmt: skip
    for user, action, text in moves:
        turn_submit(dialogue_id=second.pk, user=user, action=action, text=text,
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    page = client_for(alice).get(reverse("dialogue:room", args=[second.pk])).content.decode()
    assert page.count("(done)") == 1  # the appointment; the frustration was cut short
    assert 'Appointment<span class="visually-hidden"> (done)' in page


@pytest.mark.django_db
def test_stopping_the_container_during_a_time_out_ends_it_and_clears_the_pause(
    couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="container",
                              stage_minutes=3)  # fmt: skip
    turn_submit(dialogue_id=dialogue.pk, user=alice, action="timeout", client_msg_id="t")
    turn_submit(dialogue_id=dialogue.pk, user=bob, action="stop", client_msg_id="s")
    dialogue.refresh_from_db()
    assert (dialogue.step, dialogue.paused, dialogue.paused_until) == ("ended", False, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "extra", "code"),
    [
        ("container", {}, "stage_minutes_required"),
        ("container", {"stage_minutes": 0}, "stage_minutes_required"),
        ("container", {"stage_minutes": 31}, "stage_minutes_required"),
        ("flooding", {"prepared": " \n "}, "prepared_required"),
        ("flooding", {"prepared": "x\n" * 41}, "prepared_too_long"),
        ("gossip", {}, "unknown_kind"),
    ],
)
def test_a_variant_starts_only_with_what_it_needs(
    kind: str, extra: dict[str, object], code: str, couple: Couple, alice: User
) -> None:
    with pytest.raises(DialogueError) as caught:
        dialogue_start(couple=couple, user=alice, topic="us", kind=kind, **extra)
    assert caught.value.code == code
    assert not Dialogue.objects.exists()


@pytest.mark.django_db
def test_the_start_form_offers_every_variant_and_starts_the_chosen_one(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    client = client_for(alice)
    page = client.get(reverse("dialogue:list")).content.decode()
    for variant in flow.VARIANTS.values():
        assert f'value="{variant.key}"' in page
    response = client.post(
        reverse("dialogue:start"), {"kind": "container", "topic": "the budget", "stage_minutes": 4}
    )
    dialogue = Dialogue.objects.get()
    assert response["Location"] == reverse("dialogue:room", args=[dialogue.pk])
    assert (dialogue.kind, dialogue.stage_minutes) == ("container", 4)
    room = client.get(response["Location"]).content.decode()
    assert "Container (resolving anger)" in room
    assert "Agreed: 4 minutes per stage" in room
    assert "Stop the container now" in room


@pytest.mark.django_db
def test_the_start_form_names_the_variant_of_each_variant_only_field(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    page = client_for(alice).get(reverse("dialogue:list")).content.decode()
    assert 'name="stage_minutes"' in page and 'data-for-kinds="container"' in page
    assert 'name="prepared"' in page and 'data-for-kinds="flooding"' in page
    assert "dialogue/start." in page  # the static script that shows only the picked one's


@pytest.mark.django_db
def test_a_refused_start_keeps_what_was_typed(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    response = client_for(alice).post(
        reverse("dialogue:start"), {"kind": "flooding", "topic": "us", "prepared": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("Prepare your list first") == 1  # once, next to the list
    assert 'value="us"' in page
    assert not Dialogue.objects.exists()


@pytest.mark.django_db
def test_the_flooding_list_prepared_beforehand_is_offered_at_each_naming(
    client_for: ClientFor, couple: Couple, alice: User, bob: User
) -> None:
    prepared = "Your laugh\n\n  Your patience with my mother  "
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="flooding",
                              prepared=prepared)  # fmt: skip
    for user, action in [(alice, "request"), (bob, "accept")]:
        turn_submit(dialogue_id=dialogue.pk, user=user, action=action, text="Hi.",
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    page = client_for(alice).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert ">Your laugh</textarea>" in page
    assert 'data-stem="Your patience with my mother"' in page
    assert "Name this" in page


@pytest.mark.django_db
def test_flooding_prefills_the_next_item_not_yet_named_and_says_when_all_are_named(
    client_for: ClientFor, couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="flooding",
                              prepared="Your laugh\nYour hands\nYour patience")  # fmt: skip
    room = reverse("dialogue:room", args=[dialogue.pk])
    moves = [(alice, "request", "Hi."), (bob, "accept", "Yes."), (alice, "send", "Your laugh")]
    for user, action, text in moves:
        turn_submit(dialogue_id=dialogue.pk, user=user, action=action, text=text,
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    page = client_for(alice).get(room).content.decode()
    assert ">Your hands</textarea>" in page
    assert 'data-stem="Your laugh"' not in page
    # Named in the sender's own words, and out of order: the first not yet named comes next.
    for text in ("I love your patience, always.", "And your hands, so warm."):
        turn_submit(dialogue_id=dialogue.pk, user=alice, action="send", text=text,
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    page = client_for(alice).get(room).content.decode()
    assert "You have named everything on your list" in page
    assert ">What I love about the way you look is…</textarea>" in page


@pytest.mark.django_db
def test_transcript_export_and_observer_view_serve_a_variant_in_its_own_words(
    client_for: ClientFor, couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="my father", kind="parent_child")
    for user, action in [(alice, "request"), (bob, "accept"), (bob, "ask")]:
        turn_submit(dialogue_id=dialogue.pk, user=user, action=action,
                    text="I am your father. What was it like for you to live with me?",
                    client_msg_id=uuid.uuid4().hex)  # fmt: skip
    transcript = client_for(alice).get(reverse("dialogue:transcript", args=[dialogue.pk]))
    assert "Parent–child dialogue between Alice and Bob" in transcript.content.decode()
    assert "asked as the parent" in transcript.content.decode()
    export = client_for(bob).get(reverse("dialogue:export_json", args=[dialogue.pk]))
    data = json.loads(export.content)
    assert export["Content-Disposition"].startswith("attachment;")
    assert data["dialogue"]["kind_name"] == "Parent–child dialogue"
    assert [t["verb"] for t in data["turns"]] == [
        "asked to talk",
        "accepted",
        "asked as the parent",
    ]
    assert data["turns"][2]["step_label"] == "the parent’s question"
    # The couple's therapist, once invited, watches it like any dialogue — and cannot act.
    carol = client_for(carol_consented)
    assert carol.get(reverse("dialogue:room", args=[dialogue.pk])).status_code == 404
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    room = carol.get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "You are observing" in room and "Alice’s move" in room
    assert 'id="turn-form"' not in room


@pytest.mark.django_db
def test_the_therapists_time_out_stops_the_container_stage_clock_and_lifting_it_gives_the_time_back(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="container",
                              stage_minutes=5)  # fmt: skip
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    started = Dialogue.objects.get(pk=dialogue.pk).updated_at
    coaching_submit(dialogue_id=dialogue.pk, user=carol_consented, kind="hold", client_msg_id="h")
    room = client_for(bob).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "the stage’s clock stands still during the time-out" in room
    assert "this stage until" not in room

    # Four minutes later she lifts it: the stage has the four minutes back.
    Dialogue.objects.filter(pk=dialogue.pk).update(held_at=timezone.now() - timedelta(minutes=4))
    coaching_submit(
        dialogue_id=dialogue.pk, user=carol_consented, kind="release", client_msg_id="r"
    )
    resumed = Dialogue.objects.get(pk=dialogue.pk).updated_at
    assert timedelta(minutes=4) <= resumed - started < timedelta(minutes=4, seconds=30)
    room = client_for(bob).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "this stage until" in room
