"""HTML fragments of the dialogue room, rendered from the plain snapshot data that services
return. The page view and the websocket consumer both render through here, with the same
template partials (`dialogue/room.html#turn`, `#panel`, `#progress`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string

from . import flow


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


def turn_context(turn: dict[str, Any]) -> dict[str, Any]:
    return {
        **turn,
        "verb": flow.ACTION_VERBS[flow.Action(turn["action"])],
        "at_dt": _dt(turn["at"]),
        "created_dt": _dt(turn["created"]),
    }


def progress_context(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    current = flow.PHASE_OF[flow.Step(snapshot["step"])]
    keys = [key for key, _label in flow.PHASES]
    done_before = keys.index(current)
    ended = snapshot["ended"]
    return [
        {
            "key": key,
            "label": label,
            "current": key == current and not ended,
            "done": index < done_before or ended,
        }
        for index, (key, label) in enumerate(flow.PHASES)
    ]


def panel_context(
    snapshot: dict[str, Any], role: flow.Role, *, draft: str | None = None, error: str = ""
) -> dict[str, Any]:
    step = flow.Step(snapshot["step"])
    state = flow.State(step, paused=snapshot["paused"])
    names = {
        flow.Role.SENDER: snapshot["sender"]["name"],
        flow.Role.RECEIVER: snapshot["receiver"]["name"],
    }
    read_only = snapshot["read_only"]
    allowed = [] if read_only else flow.allowed_actions(state, role)
    moves = [a for a in allowed if a not in (flow.Action.TIMEOUT, flow.Action.RESUME)]
    topic = snapshot["topic"]
    choices = [
        {
            "value": action.value,
            "label": flow.ACTION_LABELS[action],
            "stems": [stem.replace("{topic}", topic) for stem in flow.STEMS[action]],
            "needs_text": action in flow.TEXT_REQUIRED,
            "time": action in flow.TIME_ALLOWED,
        }
        for action in moves
    ]
    movers = sorted(flow.actors(step))
    acting, waiting = flow.GUIDANCE[step]
    if snapshot["ended"]:
        status, guidance = "This dialogue has ended", "Thank you both. The transcript stays here."
    elif read_only:
        status, guidance = (
            "Read-only",
            "Your couple has ended: this dialogue can be read, not continued.",
        )
    elif state.paused:
        status = "Time-out"
        guidance = "The dialogue is paused at the same step. Either of you can resume when ready."
    elif choices:
        status = "Your move" if len(movers) == 1 else "Your move — or your partner’s"
        guidance = acting
    elif role == flow.Role.OBSERVER:
        who = " or ".join(names[m] for m in movers)
        status, guidance = f"{who}’s move", f"You are observing. {waiting}"
    else:
        status = f"{names[movers[0]]}’s move" if movers else "Waiting"
        guidance = waiting
    prefill = draft if draft is not None else (choices[0]["stems"][0] if choices else "")
    return {
        "status": status,
        "guidance": guidance,
        "role": role.value,
        "you_are": {
            flow.Role.SENDER: "You are the sender: you speak, your partner listens.",
            flow.Role.RECEIVER: "You are the receiver: you listen and reflect.",
            flow.Role.OBSERVER: "You are observing this dialogue.",
        }[role],
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
        "timeout_stem": flow.STEMS[flow.Action.TIMEOUT][0],
        # Fresh ids make a plain (no-JavaScript) form post idempotent against double submits.
        "msg_id": uuid.uuid4().hex,
        "timeout_msg_id": uuid.uuid4().hex,
    }


def room_context(
    snapshot: dict[str, Any],
    turns: list[dict[str, Any]],
    role: flow.Role,
    user_id: int,
    *,
    draft: str | None = None,
    error: str = "",
) -> dict[str, Any]:
    return {
        "d": snapshot,
        "turns": [turn_context(turn) for turn in turns],
        "progress": progress_context(snapshot),
        "p": panel_context(snapshot, role, draft=draft, error=error),
        "viewer_id": user_id,
    }


def render_turn(turn: dict[str, Any], user_id: int) -> str:
    return render_to_string(
        "dialogue/room.html#turn", {"t": turn_context(turn), "viewer_id": user_id}
    )


def render_live(
    snapshot: dict[str, Any], role: flow.Role, user_id: int, turns: list[dict[str, Any]]
) -> dict[str, Any]:
    """The fragments a websocket frame carries: `turns` (one per turn given), the panel and the
    step progress, all rendered for this viewer."""
    panel = panel_context(snapshot, role)
    return {
        "turns": [render_turn(turn, user_id) for turn in turns],
        "panel": render_to_string("dialogue/room.html#panel", {"d": snapshot, "p": panel}),
        "progress": render_to_string(
            "dialogue/room.html#progress", {"progress": progress_context(snapshot)}
        ),
    }
