"""A kind is a module: every kind has one registry row and everything that row promises, and
nothing outside the kind modules compares an entry's kind with a value."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.template.loader import get_template

from couples.models import User
from exercises.models import Entry, Kind
from exercises.registry import KINDS

ROOT = Path(__file__).resolve().parents[2]
# A comparison of a kind with a value: `kind == "caring"`, `.kind != Kind.X`, `kind in (...)`
# (asking the registry, `kind in KINDS`, is how generic code should do it).
KIND_SWITCH = re.compile(r"""\bkind\s*(==|!=|\bin\b|\bnot in\b)\s*(["'(\[]|Kind\.)""")
# Tables about the couple or its therapist rather than one entry: not a kind's.
NOT_A_KIND = {"Entry", "Homework", "HomeworkAnswer", "Note", "DeskVisit"}


def test_every_kind_has_one_registry_row_and_every_row_is_a_kind() -> None:
    assert list(KINDS) == list(Kind.values)


def test_every_kinds_detail_hangs_off_the_entry_under_the_kinds_name() -> None:
    for kind, spec in KINDS.items():
        field = spec.model._meta.get_field("entry")
        assert field.one_to_one and field.remote_field.related_name == kind
        assert get_template(spec.template)  # its card fragment exists


def test_generic_code_and_templates_never_switch_on_the_kind() -> None:
    sources = [
        *(ROOT / "exercises").glob("*.py"),
        *(ROOT / "templates" / "exercises").rglob("*.html"),
        ROOT / "imago_site" / "personal_data.py",
    ]
    switches = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if KIND_SWITCH.search(line)
    ]
    assert switches == []


def test_every_row_a_partner_writes_on_the_others_entries_is_declared_for_account_deletion() -> (
    None
):
    declared = {model for spec in KINDS.values() for model, _field in spec.actor_rows}
    with_a_person = {
        model
        for model in apps.get_app_config("exercises").get_models()
        if model.__name__ not in NOT_A_KIND
        and any(f.is_relation and f.related_model is User for f in model._meta.concrete_fields)
    }
    assert with_a_person == declared
    assert Entry._meta.get_field("author").related_model is User  # the author: Entry's own
