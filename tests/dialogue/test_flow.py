"""Every (state, role, action) either moves the dialogue to the step imago.md names, or is refused
with a reason — checked against a table written out here independently of flow.TRANSITIONS."""

from __future__ import annotations

import itertools

import pytest

from dialogue.flow import (
    TEXT_REQUIRED,
    Action,
    FlowError,
    Role,
    State,
    Step,
    actors,
    allowed_actions,
    decide,
)

A = Action
EXPECTED: dict[tuple[str, str, str], tuple[str, bool]] = {
    ("appointment", "sender", "request"): ("appointment_reply", False),
    ("appointment", "sender", "propose"): ("appointment_reply", False),
    ("appointment_reply", "receiver", "accept"): ("send", False),
    ("appointment_reply", "receiver", "decline"): ("appointment", False),
    ("send", "sender", "send"): ("mirror", False),
    ("mirror", "receiver", "mirror"): ("check", False),
    ("check", "sender", "confirm"): ("more", False),
    ("check", "sender", "correct"): ("mirror", False),
    ("more", "receiver", "ask_more"): ("more_answer", False),
    ("more_answer", "sender", "more"): ("send", False),
    ("more_answer", "sender", "done"): ("summary", False),
    ("summary", "receiver", "summarize"): ("summary_check", False),
    ("summary_check", "sender", "confirm"): ("validation", False),
    ("summary_check", "sender", "correct"): ("summary", False),
    ("validation", "receiver", "validate"): ("validation_ack", False),
    ("validation_ack", "sender", "acknowledge"): ("empathy", False),
    ("empathy", "receiver", "empathize"): ("empathy_check", False),
    ("empathy_check", "sender", "confirm"): ("close", False),
    ("empathy_check", "sender", "correct"): ("empathy", False),
    ("close", "sender", "swap"): ("send", True),
    ("close", "receiver", "swap"): ("send", True),
    ("close", "sender", "end"): ("ended", False),
    ("close", "receiver", "end"): ("ended", False),
}

ALL = list(itertools.product(Step, (False, True), Role, Action))


def _expected_refusal(step: Step, paused: bool, role: Role, action: Action) -> str | None:
    if role == Role.OBSERVER:
        return "observer"
    if step == Step.ENDED:
        return "ended"
    if action == Action.TIMEOUT:
        return "paused" if paused else None
    if action == Action.RESUME:
        return None if paused else "wrong_step"
    if paused:
        return "paused"
    if (step, role, action) in EXPECTED:
        return None
    if any((step, other, action) in EXPECTED for other in Role):
        return "not_your_turn"
    return "wrong_step"


@pytest.mark.parametrize(("step", "paused", "role", "action"), ALL)
def test_every_state_role_and_action_moves_to_the_right_step_or_is_refused(
    step: Step, paused: bool, role: Role, action: Action
) -> None:
    refusal = _expected_refusal(step, paused, role, action)
    if refusal is not None:
        with pytest.raises(FlowError) as caught:
            decide(State(step, paused), role, action)
        assert caught.value.code == refusal
        assert caught.value.message
        return
    outcome = decide(State(step, paused), role, action)
    if action == Action.TIMEOUT:
        assert outcome.state == State(step, paused=True)
    elif action == Action.RESUME:
        assert outcome.state == State(step, paused=False)
    else:
        next_step, swaps = EXPECTED[(step, role, action)]
        assert outcome.state == State(Step(next_step), paused=False)
        assert outcome.swap_roles is swaps


def test_allowed_actions_offer_exactly_what_decide_accepts() -> None:
    for step, paused, role in itertools.product(Step, (False, True), Role):
        offered = set(allowed_actions(State(step, paused), role))
        accepted = set()
        for action in Action:
            try:
                decide(State(step, paused), role, action)
            except FlowError:
                continue
            accepted.add(action)
        assert offered == accepted, (step, paused, role)


def test_only_one_partner_acts_at_each_step_except_the_close() -> None:
    for step in Step:
        expected = {"ended": 0, "close": 2}.get(step, 1)
        assert len(actors(step)) == expected, step


def test_an_unknown_action_or_role_is_refused_by_name() -> None:
    with pytest.raises(FlowError) as caught:
        decide(State(), "sender", "shout")
    assert caught.value.code == "unknown_action"
    with pytest.raises(FlowError) as caught:
        decide(State(), "therapist", "request")
    assert caught.value.code == "observer"


def test_the_words_that_matter_need_text_and_the_rest_may_be_blank() -> None:
    assert {a.value for a in TEXT_REQUIRED} == {
        "request", "propose", "decline", "send", "mirror", "correct", "summarize", "validate",
        "empathize",
    }  # fmt: skip


def test_a_full_round_with_a_correction_and_more_then_a_swap_reads_like_imago_md() -> None:
    script = [
        ("sender", A.REQUEST), ("receiver", A.ACCEPT), ("sender", A.SEND),
        ("receiver", A.MIRROR), ("sender", A.CORRECT), ("receiver", A.MIRROR),
        ("sender", A.CONFIRM), ("receiver", A.ASK_MORE), ("sender", A.MORE),
        ("sender", A.SEND), ("receiver", A.MIRROR), ("sender", A.CONFIRM),
        ("receiver", A.ASK_MORE), ("sender", A.DONE), ("receiver", A.SUMMARIZE),
        ("sender", A.CONFIRM), ("receiver", A.VALIDATE), ("sender", A.ACKNOWLEDGE),
        ("receiver", A.EMPATHIZE), ("sender", A.CORRECT), ("receiver", A.EMPATHIZE),
        ("sender", A.CONFIRM), ("receiver", A.SWAP),
    ]  # fmt: skip
    state = State()
    for role, action in script:
        outcome = decide(state, role, action)
        state = outcome.state
    assert state == State(Step.SEND)
    assert outcome.swap_roles
