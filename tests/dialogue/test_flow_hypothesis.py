"""No sequence of actions, by anyone, breaks what the server promises: turns numbered without
gaps, one turn per accepted action (and none for a replay), roles swapping only at a swap,
nothing but resume accepted while paused, and a round closing only after empathy is confirmed.
Checked on the database the service writes, through `turn_submit`, not on a copy of the rules."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from couples.models import User
from dialogue.flow import Action, Step
from dialogue.models import Dialogue, Turn
from dialogue.services import DialogueError, dialogue_start, turn_submit

from ..conftest import make_user, pair

PEOPLE = ("first", "second", "outsider")
TEXTS = st.sampled_from(["", "Some words.", "  "])


class ServerMachine(RuleBasedStateMachine):
    """A fresh couple and dialogue per example; anyone tries anything, through the service."""

    def __init__(self) -> None:
        super().__init__()
        tag = uuid.uuid4().hex[:8]
        self.people: dict[str, User] = {
            name: make_user(f"{name}-{tag}@example.com", name.title()) for name in PEOPLE
        }
        pair(self.people["first"], self.people["second"])
        self.dialogue = dialogue_start(
            couple=self.people["first"].memberships.get().couple,
            user=self.people["first"],
            topic="the dishes",
        )
        self.accepted = 0
        self.last_accepted: tuple[User, str] | None = None

    def _fresh(self) -> Dialogue:
        return Dialogue.objects.get(pk=self.dialogue.pk)

    def _try(self, person: str, action: str, text: str, msg_id: str | None = None) -> None:
        before = self._fresh()
        user = self.people[person]
        msg_id = msg_id or uuid.uuid4().hex
        try:
            result = turn_submit(
                dialogue_id=before.pk, user=user, action=action, text=text, client_msg_id=msg_id
            )
        except DialogueError:
            after = self._fresh()
            # A refusal changes nothing.
            assert (after.step, after.paused, after.last_seq, after.sender_id) == (
                before.step, before.paused, before.last_seq, before.sender_id,
            )  # fmt: skip
            return
        after = self._fresh()
        if result.replayed:
            assert after.last_seq == before.last_seq
            return
        self.accepted += 1
        self.last_accepted = (user, msg_id)
        # Only the two partners act.
        assert user.pk in (before.sender_id, before.receiver_id)
        # Nothing but a resume is accepted while paused.
        if before.paused:
            assert action == Action.RESUME
        # Roles swap at a swap, and only then.
        swapped = (after.sender_id, after.receiver_id) == (before.receiver_id, before.sender_id)
        assert swapped == (action == Action.SWAP)
        if not swapped:
            assert (after.sender_id, after.receiver_id) == (before.sender_id, before.receiver_id)

    @rule(person=st.sampled_from(PEOPLE), action=st.sampled_from(list(Action)), text=TEXTS)
    def anyone_tries_anything(self, person: str, action: Action, text: str) -> None:
        self._try(person, action.value, text)

    @rule(data=st.data())
    def a_partner_takes_a_move_the_rules_offer(self, data: st.DataObject) -> None:
        # Purely random actions rarely get past the first steps; this walks deep into rounds.
        dialogue = self._fresh()
        moves = [(r, a) for (s, r, a) in dialogue.variant.transitions if s == dialogue.step]
        if dialogue.paused or not moves:
            moves = [("sender", Action.RESUME), ("receiver", Action.TIMEOUT)]
        role, action = data.draw(st.sampled_from(moves))
        user = dialogue.sender if role == "sender" else dialogue.receiver
        person = next(name for name, each in self.people.items() if each.pk == user.pk)
        self._try(person, action.value, "Words for this step.")

    @rule()
    def the_last_accepted_message_is_sent_again(self) -> None:
        if self.last_accepted is None:
            return
        user, msg_id = self.last_accepted
        person = next(name for name, each in self.people.items() if each.pk == user.pk)
        self._try(person, "send", "A resend", msg_id=msg_id)

    @invariant()
    def turns_are_numbered_without_gaps_one_per_accepted_action(self) -> None:
        seqs = list(
            Turn.objects.filter(dialogue=self.dialogue.pk)
            .order_by("seq")
            .values_list("seq", flat=True)
        )
        assert seqs == list(range(1, self.accepted + 1))
        assert self._fresh().last_seq == self.accepted

    @invariant()
    def a_round_closes_only_after_empathy_is_confirmed(self) -> None:
        dialogue = self._fresh()
        if dialogue.step not in (Step.CLOSE, Step.ENDED):
            return
        moves = (
            Turn.objects.filter(dialogue=dialogue.pk, round=dialogue.round)
            .exclude(action__in=[Action.TIMEOUT, Action.RESUME])
            .order_by("seq")
        )
        steps = [(turn.step, turn.action) for turn in moves]
        closing = steps.index((Step.EMPATHY_CHECK, Action.CONFIRM))
        assert steps[closing + 1 :] in ([], [(Step.CLOSE, Action.END)])


@pytest.mark.django_db
def test_no_sequence_of_actions_breaks_the_servers_promises() -> None:
    run_state_machine_as_test(
        ServerMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=50,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
