"""A dialogue as a downloadable JSON document: the same for every variant, since each turn names
its step and action in the variant's own words."""

from __future__ import annotations

from typing import Any

from . import flow


def dialogue_export(state: dict[str, Any]) -> dict[str, Any]:
    """`state` as `services.dialogue_state` returns it, with each step and action spelled out."""
    snapshot = state["dialogue"]
    variant = flow.VARIANTS[snapshot["kind"]]
    return {
        "dialogue": {**snapshot, "kind_name": variant.name},
        "turns": [
            {
                **turn,
                "step_label": variant.step_labels[flow.Step(turn["step"])],
                "verb": variant.verbs[flow.Action(turn["action"])],
            }
            for turn in state["turns"]
        ],
    }
