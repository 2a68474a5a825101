"""The live panel is rendered once per shape and filled in per viewer (dialogue/fragments.py).
Whatever the variant, step, role and state, and whatever a person calls themselves, the filled-in
panel must be exactly what the template renders for that dialogue, fresh message ids aside."""

from __future__ import annotations

import itertools
import re
import uuid

import pytest

from dialogue import flow
from dialogue.fragments import (
    _SHAPES,
    progress_afresh,
    render_panel,
    render_panel_afresh,
    render_progress,
    render_turn,
)

# Names, a topic and list items that escaping, marks and ids could trip over.
HOSTILE = ['<b>Al & "Ann"</b>', "O'Brien \x02topic\x03", "Zoë {sender}", "00000000-0000-0000"]
MSG_ID = re.compile(r'(name="msg_id" value=")[0-9a-f]{32}')


def _snapshot(variant: str, step: flow.Step, **state: object) -> dict[str, object]:
    names = itertools.cycle(HOSTILE)
    snapshot: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "topic": f"the {next(names)} dishes",
        "kind": variant,
        "step": step.value,
        "paused": False,
        "paused_until": None,
        "stage_minutes": 0,
        "prepared": [],
        "prepared_all_named": False,
        "updated": "2026-12-07T10:00:00+00:00",
        "round": 3,
        "last_seq": 41,
        "sender": {"id": 7, "name": next(names)},
        "receiver": {"id": 8, "name": next(names)},
        "ended": False,
        "stopped_at": None,
        "read_only": False,
        "held": None,
        "timer": None,
    }
    snapshot.update(state)
    return snapshot


STATES: list[dict[str, object]] = [
    {},
    {"paused": True},
    {"paused": True, "paused_until": "2026-12-07T11:30:00+00:00"},
    {"held": {"by": {"id": 9, "name": HOSTILE[0]}, "since": "2026-12-07T10:01:00+00:00"}},
    {"ended": True},
    {"read_only": True},
    {"stage_minutes": 5},
    {"timer": {"seconds": 120, "ends_at": "2026-12-07T10:02:00+00:00", "step": "", "round": 3}},
    {"prepared": [HOSTILE[1], "warm & <kind>"], "prepared_all_named": False},
    {"prepared": [], "prepared_all_named": True},
]


def _cases() -> list[tuple[str, flow.Step, flow.Role, dict[str, object]]]:
    return [
        (name, step, role, state)
        for name, variant in flow.VARIANTS.items()
        for step in variant.phase_of
        for role in flow.Role
        for state in STATES
    ]


@pytest.mark.parametrize("variant", sorted(flow.VARIANTS))
def test_every_filled_in_panel_is_the_one_the_template_renders(variant: str) -> None:
    _SHAPES.clear()
    cases = [case for case in _cases() if case[0] == variant]
    assert cases
    for _name, step, role, state in cases:
        for _ in range(2):  # the first call renders the shape, the second fills it in
            snapshot = _snapshot(variant, step, **state)
            filled = render_panel(snapshot, role, "tok<en>&")
            afresh = render_panel_afresh(snapshot, role, "tok<en>&")
            assert MSG_ID.sub(r"\1", filled) == MSG_ID.sub(r"\1", afresh), (step, role, state)
    # Shapes are shared between dialogues: far fewer renders than panels.
    assert len(_SHAPES) == len(cases)


def test_two_couples_at_the_same_point_never_see_each_others_names_or_ids() -> None:
    one = _snapshot("standard", flow.Step.MIRROR)
    other = _snapshot(
        "standard",
        flow.Step.MIRROR,
        topic="money",
        sender={"id": 1, "name": "Sam"},
        receiver={"id": 2, "name": "Robin"},
        last_seq=3,
    )
    render_panel(one, flow.Role.RECEIVER, "a" * 32)
    html = render_panel(other, flow.Role.RECEIVER, "b" * 32)
    assert "Sam" in html and other["id"] in html and "b" * 32 in html
    for leaked in (one["id"], one["sender"]["name"], "a" * 32, '"41"'):  # type: ignore[index]
        assert str(leaked) not in html


def test_each_filled_in_panel_has_fresh_message_ids() -> None:
    snapshot = _snapshot("standard", flow.Step.SEND)
    first = MSG_ID.findall(render_panel(snapshot, flow.Role.SENDER, "t"))
    assert first
    ids = {
        re.findall(r'name="msg_id" value="([0-9a-f]{32})', render_panel(snapshot, role, "t"))[0]
        for role in (flow.Role.SENDER, flow.Role.SENDER, flow.Role.SENDER)
    }
    assert len(ids) == 3


def test_the_step_progress_is_the_one_the_template_renders() -> None:
    for name, variant in flow.VARIANTS.items():
        for step in variant.phase_of:
            for state in ({}, {"ended": True}, {"ended": True, "stopped_at": step.value}):
                snapshot = _snapshot(name, step, **state)
                assert render_progress(snapshot) == progress_afresh(snapshot)


def test_a_turn_rendered_once_reads_as_each_viewers_own_render() -> None:
    from django.template.loader import render_to_string

    from dialogue.fragments import turn_context

    snapshot = _snapshot("standard", flow.Step.MIRROR)
    turn = {
        "seq": 5, "round": 1, "author": {"id": 7, "name": "Al turn-mine"}, "role": "sender",
        "step": "send", "action": "send", "text": 'I felt <alone> turn-mine " turn-mine',
        "at": None, "created": "2026-12-07T10:00:00+00:00",
    }  # fmt: skip
    for viewer in (8, 7, 8):
        expected = render_to_string(
            "dialogue/room.html#turn",
            {"turn": turn_context(turn, flow.STANDARD), "viewer_id": viewer},
        )
        assert render_turn(turn, snapshot, viewer) == expected
    assert "turn-mine" in render_turn(turn, snapshot, 7).split(">")[0]
    assert "turn-mine" not in render_turn(turn, snapshot, 8).split(">")[0]
