"""The standard dialogue's rule book, written out literally (as in docs/protocol.md), and decide()
checked against it: every row moves to the step it names; the same action by the other partner is
"not your turn"; anything else a partner tries is "wrong step"; observers never act; an ended
dialogue accepts nothing; a paused one accepts only resume."""

from __future__ import annotations

import itertools

import pytest

from dialogue.flow import (
    STANDARD,
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

# (step, who, action) -> (next step, roles swap). The whole table of the standard dialogue.
RULE_BOOK: dict[tuple[str, str, str], tuple[str, bool]] = {
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
}

# The same moves tried by the partner whose move it is not.
NOT_YOUR_TURN: list[tuple[str, str, str]] = [
    ("appointment", "receiver", "request"),
    ("appointment", "receiver", "propose"),
    ("appointment_reply", "sender", "accept"),
    ("appointment_reply", "sender", "decline"),
    ("send", "receiver", "send"),
    ("mirror", "sender", "mirror"),
    ("check", "receiver", "confirm"),
    ("check", "receiver", "correct"),
    ("more", "sender", "ask_more"),
    ("more_answer", "receiver", "more"),
    ("more_answer", "receiver", "done"),
    ("summary", "sender", "summarize"),
    ("summary_check", "receiver", "confirm"),
    ("summary_check", "receiver", "correct"),
    ("validation", "sender", "validate"),
    ("validation_ack", "receiver", "acknowledge"),
    ("empathy", "sender", "empathize"),
    ("empathy_check", "receiver", "confirm"),
    ("empathy_check", "receiver", "correct"),
    # The sender opens and closes: the receiver may swap roles, not end.
    ("close", "receiver", "end"),
]

PARTNERS = ("sender", "receiver")
MOVES = [a.value for a in Action if a not in (A.TIMEOUT, A.RESUME)]
LIVE_STEPS = [s.value for s in Step if s != Step.ENDED]
WRONG_STEP = [
    (step, role, action)
    for step, role, action in itertools.product(LIVE_STEPS, PARTNERS, MOVES)
    if (step, role, action) not in RULE_BOOK and (step, role, action) not in NOT_YOUR_TURN
]


def _refusal(state: State, role: str, action: str) -> str:
    with pytest.raises(FlowError) as caught:
        decide(state, role, action)
    assert caught.value.message
    return caught.value.code


@pytest.mark.parametrize(("step", "role", "action"), list(RULE_BOOK))
def test_each_row_of_the_rule_book_moves_to_the_step_it_names(
    step: str, role: str, action: str
) -> None:
    next_step, swaps = RULE_BOOK[(step, role, action)]
    outcome = decide(State(Step(step)), role, action)
    assert outcome.state == State(Step(next_step))
    assert outcome.swap_roles is swaps


@pytest.mark.parametrize(("step", "role", "action"), NOT_YOUR_TURN)
def test_the_other_partners_move_is_refused_as_not_your_turn(
    step: str, role: str, action: str
) -> None:
    assert _refusal(State(Step(step)), role, action) == "not_your_turn"


@pytest.mark.parametrize(("step", "role", "action"), WRONG_STEP)
def test_a_move_the_step_does_not_have_is_refused_as_wrong_step(
    step: str, role: str, action: str
) -> None:
    assert _refusal(State(Step(step)), role, action) == "wrong_step"


@pytest.mark.parametrize("step", LIVE_STEPS)
def test_either_partner_may_call_a_time_out_and_either_may_resume_at_the_same_step(
    step: str,
) -> None:
    for caller, resumer in itertools.product(PARTNERS, PARTNERS):
        paused = decide(State(Step(step)), caller, "timeout").state
        assert paused == State(Step(step), paused=True)
        assert decide(paused, resumer, "resume").state == State(Step(step))


@pytest.mark.parametrize("step", LIVE_STEPS)
def test_while_paused_only_resume_is_accepted(step: str) -> None:
    paused = State(Step(step), paused=True)
    for role, action in itertools.product(PARTNERS, MOVES):
        assert _refusal(paused, role, action) == "paused"
    assert _refusal(paused, "sender", "timeout") == "paused"
    assert _refusal(State(Step(step)), "receiver", "resume") == "wrong_step"


def test_an_observer_is_refused_everything_everywhere() -> None:
    for step, paused, action in itertools.product(Step, (False, True), Action):
        assert _refusal(State(step, paused), "observer", action) == "observer"


def test_an_ended_dialogue_accepts_nothing() -> None:
    for paused, role, action in itertools.product((False, True), PARTNERS, Action):
        assert _refusal(State(Step.ENDED, paused), role, action) == "ended"


def test_allowed_actions_offer_exactly_the_rule_books_moves_and_a_time_out() -> None:
    for step, role in itertools.product(LIVE_STEPS, PARTNERS):
        offered = [a.value for a in allowed_actions(State(Step(step)), Role(role))]
        rows = [a for (s, r, a) in RULE_BOOK if s == step and r == role]
        assert offered == [*rows, "timeout"], (step, role)
        assert allowed_actions(State(Step(step), paused=True), Role(role)) == [A.RESUME]
    assert allowed_actions(State(Step.ENDED), Role.SENDER) == []
    assert allowed_actions(State(Step.SEND), Role.OBSERVER) == []


def test_only_one_partner_acts_at_each_step_except_the_close() -> None:
    for step in {s for (s, _r, _a) in RULE_BOOK}:
        expected = {"close": 2}.get(step, 1)
        assert len(actors(Step(step))) == expected, step
    assert actors(Step.ENDED) == frozenset()


def test_an_unknown_action_or_role_is_refused_by_name() -> None:
    assert _refusal(State(), "sender", "shout") == "unknown_action"
    assert _refusal(State(), "therapist", "request") == "observer"


def test_the_words_that_matter_need_text_and_the_rest_may_be_blank() -> None:
    assert {a.value for a in TEXT_REQUIRED} == {
        "request", "propose", "decline", "send", "mirror", "correct", "summarize", "validate",
        "empathize",
    }  # fmt: skip


def test_a_full_round_with_a_correction_and_more_then_a_swap_reads_like_the_method() -> None:
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


# --- What people read at each step --------------------------------------------------------------


def test_every_button_names_its_action() -> None:
    S, R = Role.SENDER, Role.RECEIVER
    assert STANDARD.label(Step.SEND, S, A.SEND) == "Send my message"
    assert STANDARD.label(Step.MIRROR, R, A.MIRROR) == "Send my mirror"
    assert STANDARD.label(Step.CHECK, S, A.CONFIRM) == "Yes, that’s it"
    assert STANDARD.label(Step.MORE_ANSWER, S, A.MORE) == "There’s more"
    assert STANDARD.label(Step.VALIDATION, R, A.VALIDATE) == "I validate"
    assert STANDARD.label(Step.EMPATHY, R, A.EMPATHIZE) == "Send my empathy"
    assert STANDARD.label(Step.EMPATHY_CHECK, S, A.CONFIRM) == "Yes, that’s how I feel"
    for step, role, action in STANDARD.transitions:
        assert STANDARD.label(step, role, action) != "Send", (step, action)


def test_the_empathy_correction_speaks_of_feelings_not_of_the_message() -> None:
    assert STANDARD.stems_for(Step.EMPATHY_CHECK, Role.SENDER, A.CORRECT) == (
        "Not quite — what I feel is…",
    )
    assert STANDARD.stems_for(Step.CHECK, Role.SENDER, A.CORRECT) == (
        "Almost — the part I want you to hear is…",
    )


def test_the_swap_starter_asks_to_answer_only_for_the_receiver_who_becomes_the_sender() -> None:
    (receiver_stem,) = STANDARD.stems_for(Step.CLOSE, Role.RECEIVER, A.SWAP)
    (sender_stem,) = STANDARD.stems_for(Step.CLOSE, Role.SENDER, A.SWAP)
    assert receiver_stem == "Thank you for telling me this. May I answer now?"
    assert sender_stem == "Thank you for listening. Would you like to answer?"


def test_at_the_close_the_receiver_is_told_the_sender_closes() -> None:
    acting, _waiting = STANDARD.guidance_for(Step.CLOSE, Role.RECEIVER)
    assert "your partner closes the dialogue" in acting
    assert allowed_actions(State(Step.CLOSE), Role.RECEIVER) == [A.SWAP, A.TIMEOUT]
    assert allowed_actions(State(Step.CLOSE), Role.SENDER) == [A.SWAP, A.END, A.TIMEOUT]
