"""The guided practice: one person walks the standard dialogue alone against a scripted partner
(`flow.PRACTICE_PARTNER`), first as the sender and, after a swap, as the receiver. Nothing is
stored but the practice itself, in the person's session; the same rules (`flow.STANDARD`) and the
same text limit apply as in a real dialogue."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from imago_site.errors import ImagoError

from . import flow
from .services import TEXT_LIMIT

PARTNER_ID = 0
MAX_TURNS = 200


def practice_new() -> dict[str, Any]:
    return {
        "step": flow.Step.APPOINTMENT.value,
        "paused": False,
        "round": 1,
        "you": flow.Role.SENDER.value,
        "turns": [],
    }


def _partner_role(practice: dict[str, Any]) -> flow.Role:
    return flow.Role.RECEIVER if practice["you"] == flow.Role.SENDER else flow.Role.SENDER


def _record(practice: dict[str, Any], who: dict[str, Any], role: flow.Role, action: flow.Action,
            text: str) -> None:  # fmt: skip
    practice["turns"].append(
        {
            "seq": len(practice["turns"]) + 1,
            "round": practice["round"],
            "author": who,
            "role": role.value,
            "step": practice["step"],
            "action": action.value,
            "text": text,
            "at": None,
            "created": timezone.now().isoformat(),
        }
    )


def _apply(practice: dict[str, Any], who: dict[str, Any], role: flow.Role, action: flow.Action,
           text: str) -> None:  # fmt: skip
    state = flow.State(flow.Step(practice["step"]), paused=practice["paused"])
    outcome = flow.STANDARD.decide(state, role, action)
    _record(practice, who, role, action, text)
    practice["step"] = outcome.state.step.value
    practice["paused"] = outcome.state.paused
    if outcome.swap_roles:
        practice["you"] = _partner_role(practice).value
        practice["round"] += 1


def _partner_words(practice: dict[str, Any], template: str) -> str:
    mine = [t for t in practice["turns"] if t["author"]["id"] != PARTNER_ID and t["text"]]
    sent = [
        t["text"]
        for t in mine
        if t["round"] == practice["round"] and t["action"] in ("send", "correct")
    ]
    last = mine[-1]["text"] if mine else ""
    return template.replace("{last}", last).replace("{sent}", " … ".join(sent))


def practice_act(
    *, practice: dict[str, Any], user_name: str, action: str, text: str
) -> dict[str, Any]:
    """The learner takes `action`; then the scripted partner takes every move that is theirs,
    until it is the learner's move again (or the practice has ended)."""
    text = (text or "").strip()
    if len(text) > TEXT_LIMIT:
        raise ImagoError("text_too_long", f"Please keep it to {TEXT_LIMIT:,} characters or fewer.")
    if len(practice["turns"]) >= MAX_TURNS:
        raise ImagoError("practice_full", "This practice is long enough: start a new one.")
    you = {"id": None, "name": user_name}
    role = flow.Role(practice["you"])
    try:
        chosen = flow.Action(action)
    except ValueError:
        raise flow.FlowError("unknown_action", "That is not a dialogue action.") from None
    # Checked before the move, as the real dialogue does: a refusal changes nothing.
    step = flow.Step(practice["step"])
    flow.STANDARD.decide(flow.State(step, practice["paused"]), role, chosen)
    flow.STANDARD.check_text(step, role, chosen, text, topic=flow.PRACTICE_TOPIC)
    _apply(practice, you, role, chosen, text)
    partner = {"id": PARTNER_ID, "name": flow.PRACTICE_PARTNER_NAME}
    while practice["step"] != flow.Step.ENDED and not practice["paused"]:
        step = flow.Step(practice["step"])
        partner_role = _partner_role(practice)
        if step == flow.Step.CLOSE and partner_role != flow.Role.SENDER:
            break  # the learner, as sender, closes or swaps
        if step != flow.Step.CLOSE and partner_role not in flow.STANDARD.actors(step):
            break
        move, words = flow.PRACTICE_PARTNER[step]
        _apply(practice, partner, partner_role, move, _partner_words(practice, words))
    return practice


def practice_snapshot(practice: dict[str, Any], user_name: str) -> dict[str, Any]:
    """The practice as the same snapshot a real dialogue gives, for the same fragments."""
    you = {"id": None, "name": user_name}
    partner = {"id": PARTNER_ID, "name": flow.PRACTICE_PARTNER_NAME}
    sender, receiver = (you, partner) if practice["you"] == "sender" else (partner, you)
    return {
        "id": "practice",
        "topic": flow.PRACTICE_TOPIC,
        "kind": flow.STANDARD.key,
        "step": practice["step"],
        "paused": practice["paused"],
        "paused_until": None,
        "stage_minutes": None,
        "prepared": [],
        "prepared_all_named": False,
        "stopped_at": None,
        "updated": timezone.now().isoformat(),
        "round": practice["round"],
        "last_seq": len(practice["turns"]),
        "sender": sender,
        "receiver": receiver,
        "ended": practice["step"] == flow.Step.ENDED,
        "read_only": False,
    }
