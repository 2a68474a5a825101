"""HTML fragments of the dialogue room, rendered from the plain snapshot data that services
return. The page view and the websocket consumer both render through here, with the same
template partials (`dialogue/room.html#turn`, `#coach`, `#panel`, `#progress`)."""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from . import flow
from .services import PROMPT_LIMIT, TEXT_LIMIT


def viewer_role(snapshot: dict[str, Any], user_id: int, *, observer: bool) -> flow.Role:
    if observer:
        return flow.Role.OBSERVER
    if snapshot["sender"]["id"] == user_id:
        return flow.Role.SENDER
    if snapshot["receiver"]["id"] == user_id:
        return flow.Role.RECEIVER
    return flow.Role.OBSERVER


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _variant(snapshot: dict[str, Any]) -> flow.Variant:
    return flow.VARIANTS[snapshot["kind"]]


def turn_context(turn: dict[str, Any], variant: flow.Variant) -> dict[str, Any]:
    action = flow.Action(turn["action"])
    return {
        **turn,
        "verb": variant.verbs[action],
        "event": action in flow.EVENT_ACTIONS,
        "at_dt": _dt(turn["at"]),
        "created_dt": _dt(turn["created"]),
    }


# What the observer reads about each step: who is doing what, by name — never "your partner".
OBSERVER_LINES: dict[str, str] = {
    "appointment": "{sender} is asking {receiver} for a time to talk.",
    "appointment_reply": "{receiver} is deciding whether now is a good time.",
    "send": "{sender} is sending; {receiver} is listening.",
    "mirror": "{receiver} is mirroring what {sender} said.",
    "check": "{sender} is checking whether {receiver} got it.",
    "more": "{receiver} is about to ask {sender} whether there is more.",
    "more_answer": "{sender} is deciding whether there is more to say.",
    "summary": "{receiver} is summing up everything {sender} said.",
    "summary_check": "{sender} is checking {receiver}’s summary.",
    "validation": "{receiver} is telling {sender} how they make sense.",
    "validation_ack": "{sender} is taking in {receiver}’s validation.",
    "empathy": "{receiver} is imagining how {sender} feels.",
    "empathy_check": "{sender} is checking the feelings {receiver} named.",
    "close": "The round is complete: {sender} or {receiver} may swap roles or end.",
    "ended": "This dialogue has ended.",
}
TIMER_MINUTES = [1, 2, 3, 5, 10, 15]


def observer_line(
    step: flow.Step, sender: str, receiver: str, variant: flow.Variant = flow.STANDARD
) -> str:
    line = OBSERVER_LINES.get(step.value, "{sender} and {receiver} are at {label}.")
    label = variant.step_labels.get(step, step.value)
    return line.format(sender=sender, receiver=receiver, label=label)


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" + (f" {rest} s" if rest else "") if minutes else f"{rest} s"


def coaching_context(item: dict[str, Any]) -> dict[str, Any]:
    kind, seconds = item["kind"], item["seconds"]
    verbs = {
        "stem": "suggests a starter",
        "note": "adds a note",
        "hold": "called a time-out for both partners",
        "release": "lifted the time-out",
        "timer": (
            f"set a timer of {_duration(seconds)} for this step" if seconds else "cleared the timer"
        ),
    }
    return {**item, "coaching": True, "verb": verbs[kind], "created_dt": _dt(item["created"])}


def transcript_items(
    turns: list[dict[str, Any]], coaching: list[dict[str, Any]], variant: flow.Variant
) -> list[dict[str, Any]]:
    """Turns in order, each coaching item right after the turn it followed."""
    items: list[dict[str, Any]] = []
    pending = sorted(coaching, key=lambda item: (item["after_seq"], item["created"] or ""))
    for turn in turns:
        while pending and pending[0]["after_seq"] < turn["seq"]:
            items.append(coaching_context(pending.pop(0)))
        items.append(turn_context(turn, variant))
    items.extend(coaching_context(item) for item in pending)
    return items


def progress_context(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    variant = _variant(snapshot)
    # A dialogue stopped early is done only up to the stage it was stopped in.
    stopped_at = snapshot["stopped_at"]
    current = variant.phase_of[flow.Step(stopped_at or snapshot["step"])]
    keys = [key for key, _label in variant.phases]
    done_before = keys.index(current)
    ended = snapshot["ended"]
    return [
        {
            "key": key,
            "label": label,
            "current": key == current and not ended,
            "done": index < done_before or (ended and not stopped_at),
        }
        for index, (key, label) in enumerate(variant.phases)
    ]


def _stage_until(snapshot: dict[str, Any]) -> datetime | None:
    """When the current stage's agreed time runs out: it started with the latest change, and a
    therapist's time-out stops its clock (lifting it gives back the time it held)."""
    if (
        not snapshot["stage_minutes"]
        or snapshot["ended"]
        or snapshot["paused"]
        or snapshot.get("held")
    ):
        return None
    return _dt(snapshot["updated"]) + timedelta(minutes=snapshot["stage_minutes"])


def panel_context(
    snapshot: dict[str, Any], role: flow.Role, *, draft: str | None = None, error: str = ""
) -> dict[str, Any]:
    variant = _variant(snapshot)
    step = flow.Step(snapshot["step"])
    state = flow.State(step, paused=snapshot["paused"])
    names = {
        flow.Role.SENDER: snapshot["sender"]["name"],
        flow.Role.RECEIVER: snapshot["receiver"]["name"],
    }
    read_only = snapshot["read_only"]
    allowed = [] if read_only else variant.allowed_actions(state, role)
    aside = (flow.Action.TIMEOUT, flow.Action.RESUME, flow.Action.STOP)
    moves = [a for a in allowed if a not in aside]
    topic = snapshot["topic"]

    def stems(action: flow.Action) -> list[str]:
        own = [stem.replace("{topic}", topic) for stem in variant.stems_for(step, role, action)]
        if step == variant.prepared_step and action in variant.text_required:
            return [*snapshot["prepared"], *own]  # the items not yet named come first, in order
        return own

    choices = [
        {
            "value": action.value,
            "label": variant.label(step, role, action),
            "stems": stems(action),
            "needs_text": action in variant.text_required,
            "time": action in variant.time_allowed,
        }
        for action in moves
    ]
    movers = sorted(variant.actors(step))
    acting, waiting = variant.guidance_for(step, role)
    held = snapshot.get("held")
    observer = role == flow.Role.OBSERVER
    sender, receiver = names[flow.Role.SENDER], names[flow.Role.RECEIVER]
    if held and not snapshot["ended"] and not read_only:
        # The therapist's time-out: nobody but the therapist can lift it (docs/protocol.md).
        allowed, choices = [], []
        holder = held["by"]["name"]
        if observer:
            status = "Time-out for both"
            guidance = (
                f"You paused the dialogue for {sender} and {receiver}. Lift the time-out when "
                "they are ready: it goes on at this same step."
            )
        else:
            status = f"Time-out — called by {holder}"
            guidance = (
                f"{holder} has paused the dialogue for both of you. It goes on at this same "
                f"step when {holder} lifts the time-out."
            )
    elif snapshot["ended"]:
        status, guidance = "This dialogue has ended", "Thank you both. The transcript stays here."
    elif read_only:
        status, guidance = (
            "Read-only",
            "Your couple has ended: this dialogue can be read, not continued.",
        )
    elif state.paused and observer:
        status = "Time-out"
        guidance = (
            f"{sender} and {receiver} are taking a time-out. The dialogue waits at this same "
            "step until one of them resumes."
        )
    elif state.paused:
        status = "Time-out"
        guidance = "The dialogue is paused at the same step. Either of you can resume when ready."
    elif choices:
        status = "Your move" if len(movers) == 1 else "Your move — or your partner’s"
        guidance = acting
    elif role == flow.Role.OBSERVER:
        who = " or ".join(names[m] for m in movers)
        status, guidance = f"{who}’s move", observer_line(step, sender, receiver, variant)
    else:
        status = f"{names[movers[0]]}’s move" if movers else "Waiting"
        guidance = waiting
    if choices and step == variant.prepared_step and snapshot["prepared_all_named"]:
        guidance = f"{guidance} You have named everything on your list: add more in your own "
        guidance += "words, or say that’s your list."
    prefill = draft if draft is not None else (choices[0]["stems"][0] if choices else "")
    timer = snapshot.get("timer")
    return {
        "status": status,
        "guidance": guidance,
        "role": role.value,
        "you_are": variant.you_are[role],
        "choices": choices,
        "any_time": any(choice["time"] for choice in choices),
        "first_needs_text": bool(choices) and choices[0]["needs_text"],
        "prefill": prefill,
        "error": error,
        "paused": state.paused,
        "paused_until": _dt(snapshot["paused_until"]),
        "paused_until_iso": snapshot["paused_until"],
        "can_timeout": flow.Action.TIMEOUT in allowed,
        "can_resume": flow.Action.RESUME in allowed,
        "timeout_stem": variant.stems_for(step, role, flow.Action.TIMEOUT)[0],
        "timeout_label": variant.label(step, role, flow.Action.TIMEOUT),
        "resume_label": variant.label(step, role, flow.Action.RESUME),
        "can_stop": flow.Action.STOP in allowed,
        "stop_label": variant.label(step, role, flow.Action.STOP),
        "stop_stem": variant.stems_for(step, role, flow.Action.STOP)[0],
        "stage_minutes": snapshot["stage_minutes"],
        "stage_until": _stage_until(snapshot),
        # Fresh ids make a plain (no-JavaScript) form post idempotent against double submits.
        "msg_id": uuid.uuid4().hex,
        "timeout_msg_id": uuid.uuid4().hex,
        "held": held,
        "timer": (
            {**timer, "ends_dt": _dt(timer["ends_at"]), "label": _duration(timer["seconds"])}
            if timer
            else None
        ),
        # The watching therapist's controls: prompts, a time-out for both, a timer.
        "coach": observer and not snapshot["ended"] and not read_only,
        "coach_msg_id": uuid.uuid4().hex,
        "timer_minutes": TIMER_MINUTES,
        "prompt_limit": PROMPT_LIMIT,
        "text_limit": TEXT_LIMIT,
    }


def window_context(state: dict[str, Any], user_id: int | None) -> dict[str, Any]:
    """A window of the transcript (services.dialogue_state): its turns with the coaching in
    place, and the "Load earlier turns" link when there are earlier ones."""
    snapshot = state["dialogue"]
    return {
        "dialogue": snapshot,
        "turns": transcript_items(state["turns"], state["coaching"], _variant(snapshot)),
        "earlier": state["earlier"],
        "first_seq": state["first_seq"],
        "viewer_id": user_id,
    }


def room_context(
    state: dict[str, Any],
    role: flow.Role,
    user_id: int,
    *,
    draft: str | None = None,
    error: str = "",
) -> dict[str, Any]:
    snapshot = state["dialogue"]
    return {
        **window_context(state, user_id),
        "observer": role == flow.Role.OBSERVER,
        "progress": progress_context(snapshot),
        "panel": panel_context(snapshot, role, draft=draft, error=error),
        "variant": _variant(snapshot),
    }


# --- What a websocket frame carries --------------------------------------------------------------

# A turn's HTML is the same for every viewer but its author, whose copy has the class
# "turn-mine": rendered once per event and process, not once per socket.
_TURN_HTML: OrderedDict[tuple[str, int], str] = OrderedDict()
_TURN_HTML_KEEP = 512
_MINE = " turn-mine"


def render_turn(turn: dict[str, Any], snapshot: dict[str, Any], user_id: int) -> str:
    key = (snapshot["id"], turn["seq"])
    html = _TURN_HTML.get(key)
    if html is None:
        html = render_to_string(
            "dialogue/room.html#turn",
            {"turn": turn_context(turn, _variant(snapshot)), "viewer_id": turn["author"]["id"]},
        )
        _TURN_HTML[key] = html
        if len(_TURN_HTML) > _TURN_HTML_KEEP:
            _TURN_HTML.popitem(last=False)
    # The class list comes first, before anything anyone wrote.
    return html if turn["author"]["id"] == user_id else html.replace(_MINE, "", 1)


def render_coaching(item: dict[str, Any], role: flow.Role) -> str:
    return render_to_string(
        "dialogue/room.html#coach",
        {"coaching": coaching_context(item), "observer": role == flow.Role.OBSERVER},
    )


def panel_key(snapshot: dict[str, Any], role: flow.Role) -> tuple[Any, ...]:
    """Everything the panel shows for `role`: a frame carries the panel only when this changes
    (or the viewer just acted, and their box must be cleared)."""
    return (
        role, snapshot["step"], snapshot["paused"], snapshot["paused_until"], snapshot["round"],
        snapshot["sender"]["id"], snapshot["ended"], snapshot["read_only"],
        snapshot["held"] and snapshot["held"]["by"]["id"],
        snapshot["timer"] and snapshot["timer"]["ends_at"],
        snapshot["stage_minutes"] and snapshot["updated"],
    )  # fmt: skip


def progress_key(snapshot: dict[str, Any]) -> tuple[str, bool]:
    return _variant(snapshot).phase_of[flow.Step(snapshot["step"])], snapshot["ended"]


def _panel_html(snapshot: dict[str, Any], panel: dict[str, Any], csrf_token: str) -> str:
    return render_to_string(
        "dialogue/room.html#panel",
        {"dialogue": snapshot, "panel": panel, "csrf_token": csrf_token},
    )


def render_panel_afresh(snapshot: dict[str, Any], role: flow.Role, csrf_token: str) -> str:
    """The panel for `role`, through the template. With the socket's own CSRF token its forms
    also post without JavaScript's help, when the socket stays down."""
    return _panel_html(snapshot, panel_context(snapshot, role), csrf_token)


# --- The panel, rendered once per shape ----------------------------------------------------------
#
# Every step change sends each viewer a fresh panel, and the template was most of a turn's cost.
# What a panel shows depends on the dialogue's variant, step and state and the viewer's role (its
# *shape*, shared by every couple at that point) and on a few values of its own: names, topic,
# the prepared list's items, ids and fresh message ids. So the template renders a shape once, with
# a mark in place of each such value, and each viewer's panel is that text with the marks filled
# in, escaped as the template would have escaped them (escaping works character by character, so
# escaping a value inside a sentence equals the sentence's escaping with the escaped value put
# in). tests/dialogue/test_panel_shapes.py compares both ways over every variant, step, role and
# state with hostile names.

_MARK = re.compile("\x02([a-z0-9_]+)\x03")
_NO_ID = "00000000-0000-0000-0000-000000000000"
_SHAPES: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_SHAPES_KEEP = 2048


def _mark(name: str) -> str:
    return f"\x02{name}\x03"


def _shape(snapshot: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The snapshot with its own values replaced by marks, and those values, escaped."""
    values = {
        "topic": snapshot["topic"],
        "sender": snapshot["sender"]["name"],
        "receiver": snapshot["receiver"]["name"],
        "seq": str(snapshot["last_seq"]),
        "round": str(snapshot["round"]),
    }
    held = snapshot["held"]
    if held:
        values["holder"] = held["by"]["name"]
    prepared = snapshot["prepared"]
    values.update((f"p{index}", item) for index, item in enumerate(prepared))
    shape = {
        **snapshot,
        "id": _NO_ID,
        "topic": _mark("topic"),
        "sender": {"id": None, "name": _mark("sender")},
        "receiver": {"id": None, "name": _mark("receiver")},
        "last_seq": _mark("seq"),
        "round": _mark("round"),
        "prepared": [_mark(f"p{index}") for index in range(len(prepared))],
        # The stage's clock reads `updated` only when a time per stage was agreed.
        "updated": snapshot["updated"] if snapshot["stage_minutes"] else None,
        "held": held and {"by": {"id": None, "name": _mark("holder")}, "since": None},
    }
    return shape, {name: escape(value) for name, value in values.items()}


def render_panel(snapshot: dict[str, Any], role: flow.Role, csrf_token: str) -> str:
    """The panel for `role`, as `render_panel_afresh` renders it (fresh message ids aside), from
    its shape's text when this process has rendered that shape before."""
    shape, values = _shape(snapshot)
    key = (json.dumps(shape, sort_keys=True), role.value, timezone.get_current_timezone_name())
    html = _SHAPES.get(key)
    if html is None:
        panel = panel_context(shape, role)
        panel.update(msg_id=_mark("msg"), timeout_msg_id=_mark("tmsg"), coach_msg_id=_mark("cmsg"))
        html = _panel_html(shape, panel, _mark("csrf"))
        _SHAPES[key] = html
        if len(_SHAPES) > _SHAPES_KEEP:
            _SHAPES.popitem(last=False)
    values.update(
        msg=uuid.uuid4().hex, tmsg=uuid.uuid4().hex, cmsg=uuid.uuid4().hex, csrf=escape(csrf_token)
    )
    return _MARK.sub(lambda match: values[match[1]], html).replace(_NO_ID, snapshot["id"])


def progress_afresh(snapshot: dict[str, Any]) -> str:
    return render_to_string("dialogue/room.html#progress", {"progress": progress_context(snapshot)})


@functools.lru_cache(maxsize=512)
def _progress(kind: str, step: str, stopped_at: str | None, ended: bool, zone: str) -> str:
    return progress_afresh({"kind": kind, "step": step, "stopped_at": stopped_at, "ended": ended})


def render_progress(snapshot: dict[str, Any]) -> str:
    """The step progress: the same for every dialogue of a variant at a step, rendered once."""
    return _progress(
        snapshot["kind"],
        snapshot["step"],
        snapshot["stopped_at"],
        snapshot["ended"],
        timezone.get_current_timezone_name(),
    )


def render_window(state: dict[str, Any], role: flow.Role, user_id: int) -> dict[str, Any]:
    """A `state` frame's transcript: one fragment per turn or coaching item, and the "Load
    earlier turns" link (empty when there are none)."""
    snapshot = state["dialogue"]
    turns = [
        render_coaching(item, role)
        if item.get("coaching")
        else render_turn(item, snapshot, user_id)
        for item in transcript_items(state["turns"], state["coaching"], _variant(snapshot))
    ]
    earlier = render_to_string("dialogue/room.html#earlier", window_context(state, user_id))
    return {"turns": turns, "earlier": earlier.strip()}
