"""The Imago Dialogue's step order as a pure state machine (no Django imports).

A `Variant` is one kind of dialogue and its whole rule book: a table (step, role, action) -> next
step, and what people see at each step (labels, stems, guidance). `Variant.decide()` answers what
an action does from a given state, or raises `FlowError`; `dialogue/services.py` persists the
answer without knowing which variant it is. A time-out is orthogonal to the steps: it pauses the
dialogue at its current step, and a resume returns to that same step. The observer role (a
consented therapist) never acts here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from imago_site.errors import ImagoError


class Role(StrEnum):
    SENDER = "sender"
    RECEIVER = "receiver"
    OBSERVER = "observer"


class Step(StrEnum):
    APPOINTMENT = "appointment"
    APPOINTMENT_REPLY = "appointment_reply"
    SEND = "send"
    MIRROR = "mirror"
    CHECK = "check"
    MORE = "more"
    MORE_ANSWER = "more_answer"
    SUMMARY = "summary"
    SUMMARY_CHECK = "summary_check"
    VALIDATION = "validation"
    VALIDATION_ACK = "validation_ack"
    EMPATHY = "empathy"
    EMPATHY_CHECK = "empathy_check"
    CLOSE = "close"
    ENDED = "ended"


class Action(StrEnum):
    REQUEST = "request"
    PROPOSE = "propose"
    ACCEPT = "accept"
    DECLINE = "decline"
    SEND = "send"
    MIRROR = "mirror"
    CONFIRM = "confirm"
    CORRECT = "correct"
    ASK_MORE = "ask_more"
    MORE = "more"
    DONE = "done"
    SUMMARIZE = "summarize"
    VALIDATE = "validate"
    ACKNOWLEDGE = "acknowledge"
    EMPATHIZE = "empathize"
    SWAP = "swap"
    END = "end"
    TIMEOUT = "timeout"
    RESUME = "resume"


S, R = Role.SENDER, Role.RECEIVER

PARTNER_ROLES: tuple[Role, Role] = (Role.SENDER, Role.RECEIVER)


@dataclass(frozen=True)
class State:
    step: Step = Step.APPOINTMENT
    paused: bool = False


@dataclass(frozen=True)
class Outcome:
    state: State
    swap_roles: bool = False


class FlowError(ImagoError):
    """A refused action (`code`, `message`): the same shape as every refusal in the app."""


# A stem, label or guidance line may be given for an action everywhere, for an action at one step,
# or for one role's action at one step; the most specific one wins.
Key = Action | tuple[Step, Action] | tuple[Step, Role, Action]


@dataclass(frozen=True)
class Variant:
    """One kind of dialogue: its rule table and everything its people read."""

    key: str
    name: str
    summary: str
    transitions: Mapping[tuple[Step, Role, Action], Step]
    phases: tuple[tuple[str, str], ...]
    phase_of: Mapping[Step, str]
    step_labels: Mapping[Step, str]
    # Per step (or per step and role): a line for the person acting and one for the one waiting.
    guidance: Mapping[Step | tuple[Step, Role], tuple[str, str]]
    labels: Mapping[Key, str]
    verbs: Mapping[Action, str]
    stems: Mapping[Key, tuple[str, ...]]
    # Actions whose turn carries words the partner must receive; the others may be left blank.
    text_required: frozenset[Action]
    # Actions that may carry a time: a proposed or offered appointment, a time-out's return time.
    time_allowed: frozenset[Action] = frozenset({Action.PROPOSE, Action.DECLINE, Action.TIMEOUT})
    # What each role is called in this variant ("You are the sender: …").
    you_are: Mapping[Role, str] = field(default_factory=dict)

    # --- The rules --------------------------------------------------------------------------

    def actors(self, step: Step) -> frozenset[Role]:
        """The roles allowed to move the dialogue on from `step` (time-outs aside)."""
        return frozenset(role for (s, role, _a) in self.transitions if s == step)

    def allowed_actions(self, state: State, role: Role) -> list[Action]:
        """What `role` may do now, in the table's order; a time-out is always last."""
        if role not in PARTNER_ROLES or state.step == Step.ENDED:
            return []
        if state.paused:
            return [Action.RESUME]
        moves = [a for (s, r, a) in self.transitions if s == state.step and r == role]
        return [*moves, Action.TIMEOUT]

    def decide(self, state: State, role: str, action: str) -> Outcome:
        """The outcome of `role` taking `action` in `state`, or FlowError if it is not allowed."""
        try:
            action = Action(action)
        except ValueError:
            raise FlowError("unknown_action", f"“{action}” is not a dialogue action.") from None
        try:
            role = Role(role)
        except ValueError:
            raise FlowError(
                "observer", "Only the two partners can take dialogue actions."
            ) from None
        if role == Role.OBSERVER:
            raise FlowError("observer", "You are observing: only the two partners can act.")
        if state.step == Step.ENDED:
            raise FlowError("ended", "This dialogue has ended.")
        if action == Action.TIMEOUT:
            if state.paused:
                raise FlowError("paused", "The dialogue is already paused.")
            return Outcome(State(state.step, paused=True))
        if action == Action.RESUME:
            if not state.paused:
                raise FlowError("wrong_step", "The dialogue isn't paused.")
            return Outcome(State(state.step, paused=False))
        if state.paused:
            raise FlowError("paused", "The dialogue is paused for a time-out. Resume it first.")
        next_step = self.transitions.get((state.step, role, action))
        if next_step is not None:
            return Outcome(State(next_step), swap_roles=action == Action.SWAP)
        if any(s == state.step and a == action for (s, _r, a) in self.transitions):
            raise FlowError("not_your_turn", "It's your partner's move, not yours.")
        raise FlowError(
            "wrong_step",
            f"That isn't possible now: the dialogue is at {self.step_labels[state.step]}.",
        )

    # --- What people see --------------------------------------------------------------------

    def _pick(self, table: Mapping[Key, object], step: Step, role: Role, action: Action) -> object:
        for key in ((step, role, action), (step, action), action):
            if key in table:
                return table[key]
        raise KeyError(action)

    def label(self, step: Step, role: Role, action: Action) -> str:
        """The words on the button that takes `action` ("Send my mirror")."""
        return self._pick(self.labels, step, role, action)

    def stems_for(self, step: Step, role: Role, action: Action) -> tuple[str, ...]:
        """Editable starters; the first prefills the text box. "{topic}" is the topic."""
        return self._pick(self.stems, step, role, action)

    def guidance_for(self, step: Step, role: Role) -> tuple[str, str]:
        """(what to do if it is your move, what your partner is doing if not)."""
        return self.guidance.get((step, role)) or self.guidance[step]


# --- The standard Imago Dialogue ----------------------------------------------------------------

STANDARD_TRANSITIONS: dict[tuple[Step, Role, Action], Step] = {
    # 0 appointment: the sender asks now or proposes a time; the receiver accepts or names a time.
    (Step.APPOINTMENT, S, Action.REQUEST): Step.APPOINTMENT_REPLY,
    (Step.APPOINTMENT, S, Action.PROPOSE): Step.APPOINTMENT_REPLY,
    (Step.APPOINTMENT_REPLY, R, Action.ACCEPT): Step.SEND,
    (Step.APPOINTMENT_REPLY, R, Action.DECLINE): Step.APPOINTMENT,
    # 1 send, 2 mirror, 2b check (a correction loops back to mirror), 2c "is there more?"
    (Step.SEND, S, Action.SEND): Step.MIRROR,
    (Step.MIRROR, R, Action.MIRROR): Step.CHECK,
    (Step.CHECK, S, Action.CONFIRM): Step.MORE,
    (Step.CHECK, S, Action.CORRECT): Step.MIRROR,
    (Step.MORE, R, Action.ASK_MORE): Step.MORE_ANSWER,
    (Step.MORE_ANSWER, S, Action.MORE): Step.SEND,
    (Step.MORE_ANSWER, S, Action.DONE): Step.SUMMARY,
    # 3 summary, 4 validation, 5 empathy: the sender confirms, corrects or acknowledges each.
    (Step.SUMMARY, R, Action.SUMMARIZE): Step.SUMMARY_CHECK,
    (Step.SUMMARY_CHECK, S, Action.CONFIRM): Step.VALIDATION,
    (Step.SUMMARY_CHECK, S, Action.CORRECT): Step.SUMMARY,
    (Step.VALIDATION, R, Action.VALIDATE): Step.VALIDATION_ACK,
    (Step.VALIDATION_ACK, S, Action.ACKNOWLEDGE): Step.EMPATHY,
    (Step.EMPATHY, R, Action.EMPATHIZE): Step.EMPATHY_CHECK,
    (Step.EMPATHY_CHECK, S, Action.CONFIRM): Step.CLOSE,
    (Step.EMPATHY_CHECK, S, Action.CORRECT): Step.EMPATHY,
    # 6 close: the sender opens and closes the dialogue, so only the sender ends it; either
    # partner may swap roles for a new round on the same topic (the receiver asking to answer).
    (Step.CLOSE, S, Action.SWAP): Step.SEND,
    (Step.CLOSE, R, Action.SWAP): Step.SEND,
    (Step.CLOSE, S, Action.END): Step.ENDED,
}

STANDARD_PHASES: tuple[tuple[str, str], ...] = (
    ("appointment", "Appointment"),
    ("send", "Send"),
    ("mirror", "Mirror"),
    ("summary", "Summary"),
    ("validation", "Validation"),
    ("empathy", "Empathy"),
    ("close", "Close"),
)

STANDARD_PHASE_OF: dict[Step, str] = {
    Step.APPOINTMENT: "appointment",
    Step.APPOINTMENT_REPLY: "appointment",
    Step.SEND: "send",
    Step.MIRROR: "mirror",
    Step.CHECK: "mirror",
    Step.MORE: "mirror",
    Step.MORE_ANSWER: "mirror",
    Step.SUMMARY: "summary",
    Step.SUMMARY_CHECK: "summary",
    Step.VALIDATION: "validation",
    Step.VALIDATION_ACK: "validation",
    Step.EMPATHY: "empathy",
    Step.EMPATHY_CHECK: "empathy",
    Step.CLOSE: "close",
    Step.ENDED: "close",
}

STEP_LABELS: dict[Step, str] = {
    Step.APPOINTMENT: "the appointment",
    Step.APPOINTMENT_REPLY: "the appointment (waiting for an answer)",
    Step.SEND: "sending",
    Step.MIRROR: "mirroring",
    Step.CHECK: "checking the mirror",
    Step.MORE: "“is there more?”",
    Step.MORE_ANSWER: "“is there more?”",
    Step.SUMMARY: "the summary",
    Step.SUMMARY_CHECK: "checking the summary",
    Step.VALIDATION: "validation",
    Step.VALIDATION_ACK: "validation",
    Step.EMPATHY: "empathy",
    Step.EMPATHY_CHECK: "checking empathy",
    Step.CLOSE: "the close",
    Step.ENDED: "the end",
}

STANDARD_GUIDANCE: dict[Step | tuple[Step, Role], tuple[str, str]] = {
    Step.APPOINTMENT: (
        "Ask for time to talk about your topic — now, or at a time that suits you both.",
        "Your partner is asking for a time to talk.",
    ),
    Step.APPOINTMENT_REPLY: (
        "Say yes if you can listen now, or name a time within 24 hours when you can.",
        "Your partner is deciding whether now is a good time.",
    ),
    Step.SEND: (
        "Say one short thing about yourself — “I feel … when …” — not about your partner’s faults.",
        "Your partner is writing what they’d like you to know. Get ready to listen.",
    ),
    Step.MIRROR: (
        "Repeat back what you heard, in their words or yours. Don’t analyse, answer or defend.",
        "Your partner is mirroring back what they heard.",
    ),
    Step.CHECK: (
        "Did your partner get it? Confirm, or gently say what they missed.",
        "Your partner is checking whether you got it.",
    ),
    Step.MORE: (
        "Invite more: ask whether there is more about that.",
        "Your partner is about to ask whether there is more.",
    ),
    Step.MORE_ANSWER: (
        "Add more if there is more, or say that’s all for now.",
        "Your partner is deciding whether there is more to say.",
    ),
    Step.SUMMARY: (
        "Sum up everything your partner sent in this round.",
        "Your partner is summing up everything you said.",
    ),
    Step.SUMMARY_CHECK: (
        "Did the summary get it all? Confirm, or say what is missing.",
        "Your partner is checking your summary.",
    ),
    Step.VALIDATION: (
        "Say how your partner makes sense — you don’t have to agree.",
        "Your partner is telling you how you make sense.",
    ),
    Step.VALIDATION_ACK: (
        "Let your partner know you heard their validation.",
        "Your partner is reading your validation.",
    ),
    Step.EMPATHY: (
        "Imagine and name the feelings your partner may have.",
        "Your partner is imagining how you feel.",
    ),
    Step.EMPATHY_CHECK: (
        "Is that how you feel? Confirm, or correct the feelings.",
        "Your partner is checking the feelings you named.",
    ),
    Step.CLOSE: (
        "The round is complete.",
        "The round is complete: either partner may swap roles, and the sender may end.",
    ),
    (Step.CLOSE, S): (
        "The round is complete. Close it: thank your partner and end the dialogue — or offer "
        "to swap roles so they can answer on the same topic.",
        "Your partner may close the dialogue or offer to swap roles.",
    ),
    (Step.CLOSE, R): (
        "The round is complete. If you’d like to answer, ask to swap roles; otherwise your "
        "partner closes the dialogue.",
        "Your partner may ask to swap roles and answer.",
    ),
    Step.ENDED: ("This dialogue has ended.", "This dialogue has ended."),
}

# The words on each button: it names what it does. Where a step needs other words, a
# (step, action) or (step, role, action) key says so.
STANDARD_LABELS: dict[Key, str] = {
    Action.REQUEST: "Ask to talk now",
    Action.PROPOSE: "Propose a time",
    Action.ACCEPT: "Yes, now is good",
    Action.DECLINE: "Not now — offer a time",
    Action.SEND: "Send my message",
    Action.MIRROR: "Send my mirror",
    Action.CONFIRM: "Yes, that’s it",
    Action.CORRECT: "Not quite — send my correction",
    Action.ASK_MORE: "Ask “Is there more?”",
    Action.MORE: "There’s more",
    Action.DONE: "That’s all",
    Action.SUMMARIZE: "Send my summary",
    Action.VALIDATE: "I validate",
    Action.ACKNOWLEDGE: "I feel understood",
    Action.EMPATHIZE: "Send my empathy",
    Action.SWAP: "Swap roles",
    Action.END: "End the dialogue",
    Action.TIMEOUT: "Call a time-out",
    Action.RESUME: "Resume the dialogue",
    (Step.SUMMARY_CHECK, Action.CONFIRM): "Yes, that’s all of it",
    (Step.EMPATHY_CHECK, Action.CONFIRM): "Yes, that’s how I feel",
    (Step.EMPATHY_CHECK, Action.CORRECT): "Not quite — correct the feelings",
    (Step.CLOSE, S, Action.SWAP): "Offer to swap roles",
    (Step.CLOSE, R, Action.SWAP): "Ask to swap roles and answer",
}

# How a past turn reads in the transcript ("Alice mirrored").
STANDARD_VERBS: dict[Action, str] = {
    Action.REQUEST: "asked to talk",
    Action.PROPOSE: "proposed a time",
    Action.ACCEPT: "accepted",
    Action.DECLINE: "offered another time",
    Action.SEND: "sent",
    Action.MIRROR: "mirrored",
    Action.CONFIRM: "confirmed",
    Action.CORRECT: "corrected",
    Action.ASK_MORE: "asked for more",
    Action.MORE: "has more",
    Action.DONE: "said that’s all",
    Action.SUMMARIZE: "summarized",
    Action.VALIDATE: "validated",
    Action.ACKNOWLEDGE: "acknowledged",
    Action.EMPATHIZE: "empathized",
    Action.SWAP: "swapped roles",
    Action.END: "ended the dialogue",
    Action.TIMEOUT: "called a time-out",
    Action.RESUME: "resumed",
}

FRUSTRATION_STEMS: tuple[str, ...] = (
    "What I'm concerned about is…",
    "When that happens I feel…",
    "And then I react by…",
    "The story I tell myself is…",
    "What I'm afraid of is…",
    "What this reminds me of from childhood is…",
    "What I desire is…",
)

STANDARD_STEMS: dict[Key, tuple[str, ...]] = {
    Action.REQUEST: ("I'd like to talk about {topic}. Is now a good time?",),
    Action.PROPOSE: ("I'd like to talk about {topic}. Could we talk at ___?",),
    Action.ACCEPT: ("Yes, I'm ready to hear you.",),
    Action.DECLINE: ("Not now — I can at ___.",),
    Action.SEND: ("What I'd like you to know is…", "When ___ happens, I feel…", *FRUSTRATION_STEMS),
    Action.MIRROR: ("If I got it, you said… Did I get it?",),
    Action.CONFIRM: ("Yes, you got it.",),
    Action.CORRECT: ("Almost — the part I want you to hear is…",),
    Action.ASK_MORE: ("Is there more about that?",),
    Action.MORE: ("Yes, there is more.",),
    Action.DONE: ("That's all for now.",),
    Action.SUMMARIZE: ("Let me see if I got it all… Did I get all of that?",),
    Action.VALIDATE: (
        "You make sense to me, because…",
        "That part makes sense; help me understand…",
    ),
    Action.ACKNOWLEDGE: ("Thank you for understanding.",),
    Action.EMPATHIZE: ("I imagine you might be feeling… Is that how you feel?",),
    Action.SWAP: ("Thank you for listening. Would you like to answer?",),
    Action.END: ("Thank you for listening.",),
    Action.TIMEOUT: ("Ouch — I need a time-out.",),
    Action.RESUME: ("I'm ready to continue.",),
    (Step.SUMMARY_CHECK, Action.CONFIRM): ("Yes, you got all of it.",),
    (Step.SUMMARY_CHECK, Action.CORRECT): ("Almost — what's missing is…",),
    (Step.EMPATHY_CHECK, Action.CONFIRM): ("Yes, that's how I feel.",),
    (Step.EMPATHY_CHECK, Action.CORRECT): ("Not quite — what I feel is…",),
    # The receiver, about to become the sender, asks to answer; the sender offers it.
    (Step.CLOSE, R, Action.SWAP): ("Thank you for telling me this. May I answer now?",),
}

STANDARD = Variant(
    key="standard",
    name="Imago Dialogue",
    summary="One topic, one voice at a time: the sender speaks, the receiver mirrors, "
    "validates and empathizes.",
    transitions=STANDARD_TRANSITIONS,
    phases=STANDARD_PHASES,
    phase_of=STANDARD_PHASE_OF,
    step_labels=STEP_LABELS,
    guidance=STANDARD_GUIDANCE,
    labels=STANDARD_LABELS,
    verbs=STANDARD_VERBS,
    stems=STANDARD_STEMS,
    text_required=frozenset(
        {
            Action.REQUEST,
            Action.PROPOSE,
            Action.DECLINE,
            Action.SEND,
            Action.MIRROR,
            Action.CORRECT,
            Action.SUMMARIZE,
            Action.VALIDATE,
            Action.EMPATHIZE,
        }
    ),
    you_are={
        Role.SENDER: "You are the sender: you speak, your partner listens.",
        Role.RECEIVER: "You are the receiver: you listen and reflect.",
        Role.OBSERVER: "You are observing this dialogue.",
    },
)

VARIANTS: dict[str, Variant] = {variant.key: variant for variant in (STANDARD,)}
DEFAULT_VARIANT = STANDARD.key


VARIANT_CHOICES: list[tuple[str, str]] = [(key, variant.name) for key, variant in VARIANTS.items()]


# The standard dialogue's rules, for callers that do not name a variant.
TRANSITIONS = STANDARD.transitions
TEXT_REQUIRED = STANDARD.text_required
TIME_ALLOWED = STANDARD.time_allowed
actors = STANDARD.actors
allowed_actions = STANDARD.allowed_actions
decide = STANDARD.decide
