"""No sequence of actions, by anyone, reaches an invalid state or lets the wrong person act."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dialogue.flow import TRANSITIONS, Action, FlowError, Role, State, Step, decide

from .test_flow import EXPECTED

PEOPLE = ("alice", "bob", "carol")


class DialogueMachine(RuleBasedStateMachine):
    """Alice starts as sender, Bob as receiver; Carol observes. Anyone tries anything."""

    def __init__(self) -> None:
        super().__init__()
        self.state = State()
        self.roles = {"alice": Role.SENDER, "bob": Role.RECEIVER, "carol": Role.OBSERVER}
        self.round = 1
        self.last_accepted: tuple[Step, Action] | None = None
        self.empathy_confirmed_this_round = False

    @rule(person=st.sampled_from(PEOPLE), action=st.sampled_from(list(Action)))
    def act(self, person: str, action: Action) -> None:
        role = self.roles[person]
        before = self.state
        try:
            outcome = decide(before, role, action)
        except FlowError as refused:
            assert refused.code in {
                "observer", "ended", "paused", "not_your_turn", "wrong_step", "unknown_action",
            }  # fmt: skip
            return
        # Whoever was allowed to act is a partner, and the table (or a pause) named their role.
        assert role in (Role.SENDER, Role.RECEIVER)
        if action not in (Action.TIMEOUT, Action.RESUME):
            assert not before.paused
            # Checked against the table written out by hand in test_flow, not flow's own.
            assert (before.step.value, role.value, action.value) in EXPECTED
            if before.step == Step.EMPATHY_CHECK and action == Action.CONFIRM:
                self.empathy_confirmed_this_round = True
        else:
            assert outcome.state.step == before.step
        self.state = outcome.state
        self.last_accepted = (before.step, action)
        if outcome.swap_roles:
            self.roles["alice"], self.roles["bob"] = self.roles["bob"], self.roles["alice"]
            self.round += 1
            self.empathy_confirmed_this_round = False

    @rule(data=st.data())
    def a_partner_takes_a_move_the_table_offers(self, data: st.DataObject) -> None:
        # Purely random actions rarely get past the first steps; this walks deep into rounds.
        moves = [(r, a) for (s, r, a) in TRANSITIONS if s == self.state.step]
        if self.state.paused or not moves:
            moves = [(Role.SENDER, Action.RESUME), (Role.RECEIVER, Action.TIMEOUT)]
        role, action = data.draw(st.sampled_from(moves))
        person = next(p for p, r in self.roles.items() if r == role)
        self.act(person, action)

    @invariant()
    def state_is_valid(self) -> None:
        assert isinstance(self.state.step, Step)
        assert not (self.state.paused and self.state.step == Step.ENDED)
        assert sorted(self.roles.values()) == sorted(Role)

    @invariant()
    def a_round_closes_only_after_empathy_is_confirmed(self) -> None:
        if self.state.step in (Step.CLOSE, Step.ENDED):
            assert self.empathy_confirmed_this_round


TestDialogueMachine = DialogueMachine.TestCase
TestDialogueMachine.settings = settings(max_examples=300, stateful_step_count=80, deadline=None)
