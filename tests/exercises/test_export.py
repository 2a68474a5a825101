from __future__ import annotations

import csv
import io
import json

from django.urls import reverse

from couples.models import Couple, User
from exercises.models import Kind, Visibility

from .conftest import ClientFor, create_entry


def test_the_json_export_holds_exactly_my_own_entries_with_details(
    couple: Couple,
    alice: User,
    bob: User,
    mallory_couple: Couple,
    mallory: User,
    client_for: ClientFor,
) -> None:
    mine = {create_entry(alice, kind).pk for kind in Kind.values}
    mine.add(create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST).pk)
    create_entry(bob, Kind.APPRECIATION, Visibility.PARTNER, appreciate="bob's shared words")
    create_entry(mallory, Kind.APPRECIATION, Visibility.PARTNER)
    response = client_for(alice).get(reverse("exercises:export_json"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="imago-exercises-')
    assert response["Content-Disposition"].endswith('.json"')
    data = json.loads(response.content)
    assert {entry["id"] for entry in data["entries"]} == {str(pk) for pk in mine}
    assert "bob's shared words" not in response.content.decode()
    by_kind = {entry["kind"]: entry for entry in data["entries"]}
    assert by_kind["request"]["details"]["desire"].startswith("to feel that I matter")
    assert [item["what"] for item in by_kind["request"]["items"]][
        0
    ] == "Text me when you leave work"
    assert len(by_kind["caring"]["items"]) == 3
    assert by_kind["workup"]["details"]["imago_statement"].startswith("I am drawn to someone")
    assert by_kind["workup"]["caretakers"][0]["name"] == "Mother"


def test_the_csv_export_has_one_row_per_own_entry(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.APPRECIATION)
    create_entry(alice, Kind.VISION, Visibility.PARTNER)
    create_entry(bob, Kind.APPRECIATION, Visibility.PARTNER, appreciate="bob's shared words")
    response = client_for(alice).get(reverse("exercises:export_csv"))
    assert response["Content-Disposition"].endswith('.csv"')
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["exercise"] for row in rows] == ["Appreciation", "Relationship vision"]
    assert "the way you make tea" in rows[0]["details"]
    assert "We settle our differences calmly" in rows[1]["details"]
    assert "bob's shared words" not in text


def test_an_export_by_someone_with_no_entries_is_empty(
    mallory: User, client_for: ClientFor, couple: Couple, alice: User
) -> None:
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    data = json.loads(client_for(mallory).get(reverse("exercises:export_json")).content)
    assert data["entries"] == []
