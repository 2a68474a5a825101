"""The Imago Dialogue's step order as a pure state machine (no Django imports).

A `Variant` is one kind of dialogue and its whole rule book: a table (step, role, action) -> next
step, and what people see at each step (labels, stems, guidance). `Variant.decide()` answers what
an action does from a given state, or raises `FlowError`; `dialogue/services.py` persists the
answer without knowing which variant it is. A time-out is orthogonal to the steps: it pauses the
dialogue at its current step, and a resume returns to that same step. The observer role (a
consented therapist) never acts here.
"""

from __future__ import annotations

import re
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
    # Steps of the other variants (parent–child, container, positive flooding).
    INVITE = "invite"
    RESPOND = "respond"
    HURT = "hurt"
    HURT_MIRROR = "hurt_mirror"
    HURT_CHECK = "hurt_check"
    WISH = "wish"
    WISH_MIRROR = "wish_mirror"
    CARE = "care"
    FLOOD = "flood"
    THANKS = "thanks"


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
    ASK = "ask"
    RESPOND = "respond"
    CARE = "care"
    THANK = "thank"
    STOP = "stop"


S, R = Role.SENDER, Role.RECEIVER

PARTNER_ROLES: tuple[Role, Role] = (Role.SENDER, Role.RECEIVER)

# Moves about the dialogue rather than in it: the transcript shows them as events, not words.
EVENT_ACTIONS = frozenset({Action.TIMEOUT, Action.RESUME, Action.SWAP, Action.END})


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


# A starter is a stem left for the person to finish: it trails off ("…") or has a blank ("___").
STARTER_MARKS = ("…", "___")
_TRAILING_DOTS = re.compile(r"(?:\s|…|\.\.\.)+$")


def _bare(text: str) -> str:
    """`text` without spacing differences and without its trailing ellipsis."""
    return _TRAILING_DOTS.sub("", " ".join(text.split()))


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
    # Either partner may stop the dialogue at any moment, even during a time-out.
    stop_anytime: bool = False
    # The partners agree a time limit per stage before they start; it is shown at every step.
    timed: bool = False
    # At this step the sender draws on a list prepared beforehand (one item a line).
    prepared_step: Step | None = None
    # A page that helps before or during this dialogue: (what it is, URL name, its argument).
    see_also: tuple[str, str, str] | None = None

    # --- The rules --------------------------------------------------------------------------

    def actors(self, step: Step) -> frozenset[Role]:
        """The roles allowed to move the dialogue on from `step` (time-outs aside)."""
        return frozenset(role for (s, role, _a) in self.transitions if s == step)

    def allowed_actions(self, state: State, role: Role) -> list[Action]:
        """What `role` may do now, in the table's order, then a time-out (and a stop)."""
        if role not in PARTNER_ROLES or state.step == Step.ENDED:
            return []
        stop = [Action.STOP] if self.stop_anytime else []
        if state.paused:
            return [Action.RESUME, *stop]
        moves = [a for (s, r, a) in self.transitions if s == state.step and r == role]
        return [*moves, Action.TIMEOUT, *stop]

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
        if action == Action.STOP and self.stop_anytime:
            return Outcome(State(Step.ENDED))
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

    def check_text(
        self, step: Step, role: Role, action: Action, text: str, *, topic: str = ""
    ) -> None:
        """Refuse an action whose words are missing where the partner must receive some, or are
        only the step's starter, unchanged: the same rule for the socket, the form and practice."""
        if action in self.text_required and not text:
            raise FlowError("text_required", "Please write something before sending.")
        if not text:
            return
        try:
            stems = self.stems_for(step, role, action)
        except KeyError:
            return
        starters = {
            _bare(stem.replace("{topic}", topic))
            for stem in stems
            if any(mark in stem for mark in STARTER_MARKS)
        }
        if _bare(text) in starters:
            raise FlowError("starter_only", "Add your own words after the starter.")

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
    Step.INVITE: "the parent’s question",
    Step.RESPOND: "the answer as a partner",
    Step.HURT: "the hurt beneath",
    Step.HURT_MIRROR: "mirroring the hurt",
    Step.HURT_CHECK: "checking the mirror",
    Step.WISH: "the request",
    Step.WISH_MIRROR: "mirroring the request",
    Step.CARE: "the caring act",
    Step.FLOOD: "the flooding",
    Step.THANKS: "the thanks",
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
        "The round is complete. Close it: thank your partner and end the dialogue — or swap "
        "roles now so they can answer on the same topic.",
        "Your partner may close the dialogue or swap roles.",
    ),
    (Step.CLOSE, R): (
        "The round is complete. If you’d like to answer, swap roles now; otherwise your "
        "partner closes the dialogue.",
        "Your partner may swap roles and answer.",
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
    Action.STOP: "Stop now",
    (Step.SUMMARY_CHECK, Action.CONFIRM): "Yes, that’s all of it",
    (Step.EMPATHY_CHECK, Action.CONFIRM): "Yes, that’s how I feel",
    (Step.EMPATHY_CHECK, Action.CORRECT): "Not quite — correct the feelings",
    # A swap takes effect at once (there is no accept step): the button says so.
    (Step.CLOSE, S, Action.SWAP): "Swap roles now",
    (Step.CLOSE, R, Action.SWAP): "Swap roles now: I answer",
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
    Action.STOP: "stopped",
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
    Action.STOP: ("I need to stop here.",),
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


def _appointment_then(
    first: Step, *, now_allowed: bool = True
) -> dict[tuple[Step, Role, Action], Step]:
    """Step 0 of every variant: ask for time (now, unless the variant is by appointment only, or
    at a proposed time); an accepted appointment leads to `first`."""
    now = {(Step.APPOINTMENT, S, Action.REQUEST): Step.APPOINTMENT_REPLY} if now_allowed else {}
    return {
        **now,
        (Step.APPOINTMENT, S, Action.PROPOSE): Step.APPOINTMENT_REPLY,
        (Step.APPOINTMENT_REPLY, R, Action.ACCEPT): first,
        (Step.APPOINTMENT_REPLY, R, Action.DECLINE): Step.APPOINTMENT,
    }


def _variant_of_standard(**changes: object) -> Variant:
    """A variant that keeps the standard's words wherever it does not give its own."""
    merged = {}
    for name in ("guidance", "labels", "verbs", "stems", "you_are"):
        merged[name] = {**getattr(STANDARD, name), **changes.pop(name, {})}
    merged["step_labels"] = {**STEP_LABELS, **changes.pop("step_labels", {})}
    text_required = STANDARD.text_required | changes.pop("text_required", frozenset())
    return Variant(**merged, text_required=text_required, **changes)


# --- Parent–child dialogue ("reimagining your partner as a wounded child") ----------------------
# The receiver steps into the role of the sender's mother or father and asks what it was like to
# live with them; mirrors, validates and empathizes as that parent; then steps out of the role
# and answers as the partner.


def _parent_child_rows() -> dict[tuple[Step, Role, Action], Step]:
    """The standard's steps from send to empathy, except that the child answers the parent's next
    question in their own words (not "there's more"), and a confirmed empathy leads to the answer
    out of the role."""
    rows: dict[tuple[Step, Role, Action], Step] = {}
    for key, step in STANDARD_TRANSITIONS.items():
        if key[0] in (Step.APPOINTMENT, Step.APPOINTMENT_REPLY, Step.CLOSE):
            continue
        if key == (Step.MORE_ANSWER, S, Action.MORE):
            rows[(Step.MORE_ANSWER, S, Action.SEND)] = Step.MIRROR
            continue
        rows[key] = Step.RESPOND if step == Step.CLOSE else step
    return rows


PARENT_CHILD = _variant_of_standard(
    key="parent_child",
    name="Parent–child dialogue",
    summary="Your partner steps into the role of your mother or father and asks what it was "
    "like to live with them; they listen as that parent, then answer as themselves.",
    transitions={
        **_appointment_then(Step.INVITE),
        (Step.INVITE, R, Action.ASK): Step.SEND,
        **_parent_child_rows(),
        (Step.RESPOND, R, Action.RESPOND): Step.CLOSE,
        (Step.CLOSE, S, Action.SWAP): Step.INVITE,
        (Step.CLOSE, R, Action.SWAP): Step.INVITE,
        (Step.CLOSE, S, Action.END): Step.ENDED,
    },
    phases=(
        ("appointment", "Appointment"),
        ("parent", "The parent asks"),
        ("send", "The child answers"),
        ("mirror", "Mirror"),
        ("summary", "Summary"),
        ("validation", "Validation"),
        ("empathy", "Empathy"),
        ("respond", "Out of the role"),
        ("close", "Close"),
    ),
    phase_of={**STANDARD_PHASE_OF, Step.INVITE: "parent", Step.RESPOND: "respond"},
    guidance={
        Step.INVITE: (
            "Step into the role of your partner’s mother or father, and ask what it was like "
            "to live with you.",
            "Your partner is stepping into the role of your parent.",
        ),
        Step.SEND: (
            "Answer your parent as the child you were: what it was like, the worst of it, what "
            "you needed most.",
            "As the parent, get ready to listen to what it was like for your child.",
        ),
        Step.MIRROR: (
            "Still as the parent, mirror what your child told you. Don’t explain or defend.",
            "Your parent is mirroring back what they heard.",
        ),
        Step.MORE: (
            "As the parent, ask what was the worst of it, or what your child needed most.",
            "Your parent is about to ask you more.",
        ),
        Step.MORE_ANSWER: (
            "Answer your parent’s question in your own words, as the child you were — or say "
            "that’s all.",
            "Your child is answering your question. Get ready to mirror.",
        ),
        Step.VALIDATION: (
            "As the parent, say how your child’s feelings make sense.",
            "Your parent is telling you how you make sense.",
        ),
        Step.EMPATHY: (
            "As the parent, imagine and name what your child felt.",
            "Your parent is imagining how you felt.",
        ),
        Step.RESPOND: (
            "Step out of the role. Answer as yourself, the partner: “Now that I know this, …”",
            "Your partner is stepping out of the role to answer as themselves.",
        ),
    },
    labels={
        Action.ASK: "Ask as the parent",
        Action.RESPOND: "Answer as myself",
        (Step.MORE, Action.ASK_MORE): "Ask the next question",
        (Step.MORE_ANSWER, Action.SEND): "Send my answer",
        (Step.CLOSE, S, Action.SWAP): "Swap roles now: my partner is the child",
        (Step.CLOSE, R, Action.SWAP): "Swap roles now: I am the child",
    },
    verbs={Action.ASK: "asked as the parent", Action.RESPOND: "answered as the partner"},
    stems={
        Action.ASK: (
            "I am your mother. What was it like for you to live with me?",
            "I am your father. What was it like for you to live with me?",
        ),
        (Step.SEND, Action.SEND): (
            "Living with you was…",
            "The worst of it was…",
            "What I needed most from you, and did not get, was…",
        ),
        (Step.MORE, Action.ASK_MORE): (
            "What was the worst of it?",
            "What did you need most from me that you did not get?",
            "Is there more about that?",
        ),
        (Step.MORE_ANSWER, Action.SEND): (
            "The worst of it was…",
            "What I needed most from you, and did not get, was…",
            "And there is more: …",
        ),
        Action.MIRROR: ("If I got it, living with me was… Did I get it?",),
        Action.VALIDATE: ("It makes sense that you felt that way, because…",),
        Action.EMPATHIZE: ("I imagine you felt… Is that how you felt?",),
        Action.RESPOND: ("Now that I know this, …",),
        (Step.CLOSE, S, Action.SWAP): ("Thank you. Would you like to be heard as the child now?",),
        (Step.CLOSE, R, Action.SWAP): ("Thank you. May I be the child now?",),
    },
    text_required=frozenset({Action.ASK, Action.RESPOND}),
    see_also=("Your imago workup: your caretakers’ traits", "exercises:kind", "workup"),
    you_are={
        Role.SENDER: "You speak as the child you were; your partner is in the role of your parent.",
        Role.RECEIVER: "You are in the role of your partner’s parent: ask, mirror, validate and "
        "empathize — then step out of the role and answer as yourself.",
    },
)

# --- The container ("resolving your anger") -----------------------------------------------------
# Only by appointment, with an agreed time per stage. The sender expresses frustration with "I"
# statements; the receiver only mirrors; the sender moves from anger to the hurt beneath it and
# ends with a request; the receiver offers a caring act. Either may stop at any moment.

CONTAINER = _variant_of_standard(
    key="container",
    name="Container (resolving anger)",
    summary="By appointment only, with a time agreed for each stage: one of you says the "
    "frustration and the hurt beneath it, the other only mirrors; it ends with a request and a "
    "caring act. Either of you can stop at any moment.",
    transitions={
        # Only by appointment: a time is proposed, never "now".
        **_appointment_then(Step.SEND, now_allowed=False),
        (Step.SEND, S, Action.SEND): Step.MIRROR,
        (Step.MIRROR, R, Action.MIRROR): Step.CHECK,
        (Step.CHECK, S, Action.MORE): Step.SEND,
        (Step.CHECK, S, Action.DONE): Step.HURT,
        (Step.CHECK, S, Action.CORRECT): Step.MIRROR,
        (Step.HURT, S, Action.SEND): Step.HURT_MIRROR,
        (Step.HURT_MIRROR, R, Action.MIRROR): Step.HURT_CHECK,
        (Step.HURT_CHECK, S, Action.CONFIRM): Step.WISH,
        (Step.HURT_CHECK, S, Action.CORRECT): Step.HURT_MIRROR,
        (Step.WISH, S, Action.SEND): Step.WISH_MIRROR,
        (Step.WISH_MIRROR, R, Action.MIRROR): Step.CARE,
        (Step.CARE, R, Action.CARE): Step.CLOSE,
        (Step.CLOSE, S, Action.END): Step.ENDED,
    },
    phases=(
        ("appointment", "Appointment"),
        ("anger", "Frustration"),
        ("hurt", "The hurt beneath"),
        ("wish", "Request"),
        ("care", "Caring act"),
        ("close", "Close"),
    ),
    phase_of={
        Step.APPOINTMENT: "appointment",
        Step.APPOINTMENT_REPLY: "appointment",
        Step.SEND: "anger",
        Step.MIRROR: "anger",
        Step.CHECK: "anger",
        Step.HURT: "hurt",
        Step.HURT_MIRROR: "hurt",
        Step.HURT_CHECK: "hurt",
        Step.WISH: "wish",
        Step.WISH_MIRROR: "wish",
        Step.CARE: "care",
        Step.CLOSE: "close",
        Step.ENDED: "close",
    },
    step_labels={
        Step.SEND: "the frustration",
        Step.MIRROR: "mirroring the frustration",
        Step.CHECK: "checking the mirror",
    },
    guidance={
        Step.APPOINTMENT: (
            "The container needs an appointment: ask for a time, and keep to the minutes per "
            "stage you agreed.",
            "Your partner is asking for a time for the container.",
        ),
        Step.SEND: (
            "Say your frustration with “I” statements, for the agreed time — never touching, "
            "never threatening. Your partner only mirrors.",
            "Your partner is saying their frustration. You will only mirror.",
        ),
        Step.MIRROR: (
            "Only mirror what you heard: no answer, no defence.",
            "Your partner is mirroring your frustration.",
        ),
        Step.CHECK: (
            "Did your partner get it? Go on with more of your frustration, move on to the hurt "
            "beneath it, or correct the mirror.",
            "Your partner is checking your mirror.",
        ),
        Step.HURT: (
            "Now say the hurt beneath the anger, and what it reminds you of.",
            "Your partner is finding the hurt beneath the anger.",
        ),
        Step.HURT_MIRROR: (
            "Mirror the hurt you heard.",
            "Your partner is mirroring your hurt.",
        ),
        Step.HURT_CHECK: (
            "Did your partner get the hurt? Confirm, or correct it.",
            "Your partner is checking your mirror.",
        ),
        Step.WISH: (
            "Close with one request: positive, specific, doable.",
            "Your partner is making a request.",
        ),
        Step.WISH_MIRROR: (
            "Mirror the request.",
            "Your partner is mirroring your request.",
        ),
        Step.CARE: (
            "Offer a caring act your partner would welcome now.",
            "Your partner is offering a caring act.",
        ),
        Step.CLOSE: (
            "The container is complete.",
            "The container is complete: the sender closes it.",
        ),
        (Step.CLOSE, S): (
            "The container is complete. Thank your partner and close it.",
            "Your partner is closing the container.",
        ),
        (Step.CLOSE, R): (
            "The container is complete; your partner closes it.",
            "Your partner is closing the container.",
        ),
    },
    labels={
        Action.SEND: "Send my frustration",
        (Step.HURT, Action.SEND): "Send the hurt",
        (Step.WISH, Action.SEND): "Send my request",
        (Step.CHECK, Action.MORE): "Yes — and there’s more anger",
        (Step.CHECK, Action.DONE): "Yes — go on to the hurt beneath",
        Action.CARE: "Offer my caring act",
        Action.END: "Close the container",
        Action.STOP: "Stop the container now",
    },
    verbs={Action.CARE: "offered a caring act", Action.STOP: "stopped the container"},
    stems={
        (Step.SEND, Action.SEND): FRUSTRATION_STEMS,
        (Step.HURT, Action.SEND): (
            "Underneath my anger, I feel hurt because…",
            "What I'm afraid of is…",
            "What this reminds me of from childhood is…",
        ),
        (Step.WISH, Action.SEND): ("What I would like from you is…",),
        (Step.MIRROR, Action.MIRROR): ("If I got it, you are angry that… Did I get it?",),
        (Step.HURT_MIRROR, Action.MIRROR): ("If I got it, beneath the anger you feel…",),
        (Step.WISH_MIRROR, Action.MIRROR): ("If I got it, what you would like from me is…",),
        (Step.CHECK, Action.MORE): ("Yes, and there's more.",),
        (Step.CHECK, Action.DONE): ("Yes. Beneath it there is hurt.",),
        Action.CARE: ("Would it help if I ___ now?", "May I hold you?"),
        Action.END: ("Thank you for holding this with me.",),
        Action.STOP: ("I need to stop here.",),
    },
    text_required=frozenset({Action.CARE}),
    you_are={
        Role.SENDER: "You say your frustration and the hurt beneath it; your partner only mirrors.",
        Role.RECEIVER: "You hold the container: only mirror, then offer a caring act.",
    },
    stop_anytime=True,
    timed=True,
)

# --- Positive flooding ("reimagining positive traits") ------------------------------------------
# The sender names, one after another, what they love about the receiver, from a list prepared
# beforehand; the receiver only listens, then thanks; then they may swap.

FLOODING = _variant_of_standard(
    key="flooding",
    name="Positive flooding",
    summary="One of you names, one after another, what you love about the other — from a list "
    "you prepared beforehand; the other only listens, then thanks you. Then you may swap.",
    transitions={
        **_appointment_then(Step.FLOOD),
        (Step.FLOOD, S, Action.SEND): Step.FLOOD,
        (Step.FLOOD, S, Action.DONE): Step.THANKS,
        (Step.THANKS, R, Action.THANK): Step.CLOSE,
        (Step.CLOSE, S, Action.SWAP): Step.FLOOD,
        (Step.CLOSE, R, Action.SWAP): Step.FLOOD,
        (Step.CLOSE, S, Action.END): Step.ENDED,
    },
    phases=(
        ("appointment", "Appointment"),
        ("flood", "Flooding"),
        ("thanks", "Thanks"),
        ("close", "Close"),
    ),
    phase_of={
        Step.APPOINTMENT: "appointment",
        Step.APPOINTMENT_REPLY: "appointment",
        Step.FLOOD: "flood",
        Step.THANKS: "thanks",
        Step.CLOSE: "close",
        Step.ENDED: "close",
    },
    guidance={
        Step.FLOOD: (
            "Name one thing you love about your partner — the way they look, who they are, "
            "what they do or once did — then the next, with warmth and rising energy.",
            "Your partner is naming what they love about you. Only listen, and take it in.",
        ),
        Step.THANKS: (
            "Take it in, then thank your partner.",
            "Your partner is taking it in.",
        ),
        (Step.CLOSE, S): (
            "Done. Close it, or swap now so your partner can flood you.",
            "Your partner may close or swap.",
        ),
        (Step.CLOSE, R): (
            "Done. Swap to flood your partner in turn, or let them close.",
            "Your partner may swap now.",
        ),
    },
    labels={
        (Step.FLOOD, Action.SEND): "Name this",
        (Step.FLOOD, Action.DONE): "That’s my list",
        Action.THANK: "Thank my partner",
        (Step.CLOSE, S, Action.SWAP): "Swap now: my partner floods me",
        (Step.CLOSE, R, Action.SWAP): "Swap now: I flood my partner",
    },
    verbs={Action.SEND: "named", Action.DONE: "finished the list", Action.THANK: "thanked"},
    stems={
        (Step.FLOOD, Action.SEND): (
            "What I love about the way you look is…",
            "What I love about who you are is…",
            "I love it when you…",
            "I loved it when you…",
        ),
        (Step.FLOOD, Action.DONE): ("That's my list for now.",),
        Action.THANK: ("Thank you. What touched me most was…",),
        (Step.CLOSE, R, Action.SWAP): ("Thank you. May I flood you now?",),
        (Step.CLOSE, S, Action.SWAP): ("Would you like to flood me now?",),
    },
    text_required=frozenset(),
    you_are={
        Role.SENDER: "You name what you love about your partner, one thing after another.",
        Role.RECEIVER: "You receive: only listen and take it in, then thank your partner.",
    },
    prepared_step=Step.FLOOD,
)

# --- Role reversal ------------------------------------------------------------------------------
# The sender speaks the receiver's point of view on the topic, in the first person; the receiver
# confirms or corrects; a correction is mirrored back until it is right.

REVERSAL = _variant_of_standard(
    key="reversal",
    name="Role reversal",
    summary="One of you speaks the other’s point of view on the topic, as if you were them; "
    "they confirm it or correct it until it is right. Then swap.",
    transitions={
        **_appointment_then(Step.SEND),
        (Step.SEND, S, Action.SEND): Step.CHECK,
        (Step.CHECK, R, Action.CONFIRM): Step.CLOSE,
        (Step.CHECK, R, Action.CORRECT): Step.MIRROR,
        (Step.MIRROR, S, Action.MIRROR): Step.CHECK,
        (Step.CLOSE, S, Action.MORE): Step.SEND,
        (Step.CLOSE, S, Action.SWAP): Step.SEND,
        (Step.CLOSE, R, Action.SWAP): Step.SEND,
        (Step.CLOSE, S, Action.END): Step.ENDED,
    },
    phases=(
        ("appointment", "Appointment"),
        ("send", "Speak their view"),
        ("check", "Confirm or correct"),
        ("close", "Close"),
    ),
    phase_of={
        Step.APPOINTMENT: "appointment",
        Step.APPOINTMENT_REPLY: "appointment",
        Step.SEND: "send",
        Step.CHECK: "check",
        Step.MIRROR: "check",
        Step.CLOSE: "close",
        Step.ENDED: "close",
    },
    step_labels={
        Step.SEND: "speaking the other’s view",
        Step.CHECK: "confirming the view",
        Step.MIRROR: "mirroring the correction",
    },
    guidance={
        Step.SEND: (
            "Speak your partner’s point of view on the topic, in the first person, as if you "
            "were them: “As you, I feel …”.",
            "Your partner is speaking your point of view, as if they were you.",
        ),
        Step.CHECK: (
            "Is that your point of view? Confirm it, or correct what is not.",
            "Your partner is checking whether you got their view.",
        ),
        Step.MIRROR: (
            "Mirror the correction, still speaking as your partner.",
            "Your partner is mirroring your correction.",
        ),
        (Step.CLOSE, S): (
            "Your partner confirmed their view. Say more of it, swap, or close.",
            "Your partner may say more, swap or close.",
        ),
        (Step.CLOSE, R): (
            "Now you can speak your partner’s view: swap now.",
            "Your partner may swap now.",
        ),
    },
    labels={
        Action.SEND: "Send their view",
        (Step.CHECK, Action.CONFIRM): "Yes, that’s my view",
        (Step.CHECK, Action.CORRECT): "Not quite — correct my view",
        (Step.CLOSE, Action.MORE): "Say more of their view",
        (Step.CLOSE, S, Action.SWAP): "Swap now: my partner speaks my view",
        (Step.CLOSE, R, Action.SWAP): "Swap now: I speak their view",
    },
    stems={
        Action.SEND: ("As you, I feel … when …", "If I were you, what matters most to me is…"),
        (Step.CHECK, Action.CONFIRM): ("Yes, that's my view.",),
        (Step.CHECK, Action.CORRECT): ("Not quite — my view is…",),
        Action.MIRROR: ("So, as you: … Did I get it now?",),
        (Step.CLOSE, Action.MORE): ("And as you, I also…",),
        (Step.CLOSE, R, Action.SWAP): ("Thank you. May I speak your view now?",),
        (Step.CLOSE, S, Action.SWAP): ("Would you like to speak my view now?",),
    },
    you_are={
        Role.SENDER: "You speak your partner’s point of view, in the first person.",
        Role.RECEIVER: "You hear your own point of view in your partner’s words: confirm or "
        "correct it.",
    },
)

VARIANTS: dict[str, Variant] = {
    variant.key: variant for variant in (STANDARD, PARENT_CHILD, CONTAINER, FLOODING, REVERSAL)
}
DEFAULT_VARIANT = STANDARD.key


VARIANT_CHOICES: list[tuple[str, str]] = [(key, variant.name) for key, variant in VARIANTS.items()]


# The standard dialogue's rules, for callers that do not name a variant.
TRANSITIONS = STANDARD.transitions
TEXT_REQUIRED = STANDARD.text_required
TIME_ALLOWED = STANDARD.time_allowed
actors = STANDARD.actors
allowed_actions = STANDARD.allowed_actions
decide = STANDARD.decide


# --- The guided practice: a scripted partner for one person alone --------------------------------
# What the practice partner does at each step of the standard dialogue when the move is theirs.
# "{last}" is the learner's latest words, "{sent}" everything they sent this round.

PRACTICE_TOPIC = "our evenings"
PRACTICE_PARTNER_NAME = "Sam (practice partner)"
PRACTICE_PARTNER: dict[Step, tuple[Action, str]] = {
    Step.APPOINTMENT_REPLY: (Action.ACCEPT, "Yes, I'm ready to hear you."),
    Step.MIRROR: (Action.MIRROR, "If I got it, you said: “{last}” Did I get it?"),
    Step.MORE: (Action.ASK_MORE, "Is there more about that?"),
    Step.SUMMARY: (Action.SUMMARIZE, "Let me see if I got it all: “{sent}” Did I get all of that?"),
    Step.VALIDATION: (
        Action.VALIDATE,
        "You make sense to me, because our evenings matter to you, and to us.",
    ),
    Step.EMPATHY: (
        Action.EMPATHIZE,
        "I imagine you might be feeling lonely, and maybe a little sad. Is that how you feel?",
    ),
    Step.SEND: (
        Action.SEND,
        "When you ask about my day and really listen, I feel close to you.",
    ),
    Step.CHECK: (Action.CONFIRM, "Yes, you got it."),
    Step.MORE_ANSWER: (Action.DONE, "That's all for now."),
    Step.SUMMARY_CHECK: (Action.CONFIRM, "Yes, you got all of it."),
    Step.VALIDATION_ACK: (Action.ACKNOWLEDGE, "Thank you for understanding."),
    Step.EMPATHY_CHECK: (Action.CONFIRM, "Yes, that's how I feel."),
    # As the sender at the close, the partner closes: the practice is over.
    Step.CLOSE: (Action.END, "Thank you for listening. That was our practice."),
}
