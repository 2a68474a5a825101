"""Positive traits, childhood wound, surprises and fun: written with clear refusals, private
until shared, feeding the dialogue variants, given by the partner like caring behaviors."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from dialogue.models import Dialogue
from exercises.models import (
    ChildhoodWound,
    Entry,
    Kind,
    SurpriseGift,
    SurpriseItem,
    TraitList,
    Visibility,
)

from .conftest import ClientFor, create_entry, rows, valid_data

HX = {"HX-Request": "true"}


def _new(kind: str) -> str:
    return reverse("exercises:entry_create", args=[kind])


# --- Positive traits ---------------------------------------------------------------------------


def test_a_traits_list_is_saved_grouped_by_physical_character_and_caring(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    body = client_for(alice).post(_new("traits"), valid_data("traits"), headers=HX)
    body = body.content.decode()
    assert "What I love about you: 3 traits" in body
    for heading in (
        "Physical traits I love",
        "Character traits I love",
        "Caring behaviors I love",
    ):
        assert heading in body
    assert "your laugh when you&#x27;re surprised" in body
    assert Entry.objects.get().visibility == Visibility.PRIVATE


@pytest.mark.parametrize(
    ("rows_data", "message"),
    [
        ([{"category": "character", "text": ""}], "Add at least 1 trait."),
        ([{"category": "physical", "text": "x" * 201}], "at most 200 characters"),
        ([{"category": "elbows", "text": "your hands"}], "Select a valid choice."),
        (
            [{"category": "physical", "text": "your hands"}] * 2,
            "The same trait appears twice.",
        ),
    ],
)
def test_a_bad_traits_list_is_refused_with_a_message_and_nothing_saved(
    couple: Couple, alice: User, client_for: ClientFor, rows_data: list, message: str
) -> None:
    data = valid_data("traits", **rows(rows_data))
    body = client_for(alice).post(_new("traits"), data, headers=HX).content.decode()
    assert message in body
    assert not TraitList.objects.exists() and not Entry.objects.exists()


def test_the_traits_card_offers_to_start_a_positive_flooding_with_the_list(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.TRAITS)
    client = client_for(alice)
    page = client.get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert f'action="{reverse("dialogue:start")}"' in page
    assert 'name="kind" value="flooding"' in page
    assert "how patient you are with my mother" in page.split('name="prepared"')[1]

    # Posting what the card's form holds starts the flooding with the list prepared.
    prepared = "\n".join(entry.traits.items.values_list("text", flat=True))
    response = client.post(
        reverse("dialogue:start"),
        {"kind": "flooding", "topic": "What I love about you", "prepared": prepared},
    )
    dialogue = Dialogue.objects.get()
    assert response.status_code == 302 and dialogue.kind == "flooding"
    assert dialogue.sender == alice

    # The partner reads a shared list, but it is not theirs to start a flooding with.
    client.post(reverse("exercises:entry_set_visibility", args=[entry.pk]), {"visibility": "1"})
    partner_page = client_for(bob).get(reverse("exercises:entry", args=[entry.pk]))
    assert "your laugh" in partner_page.content.decode()
    assert "Use in a positive flooding" not in partner_page.content.decode()


# --- Childhood wound ---------------------------------------------------------------------------


def test_a_wound_with_nothing_written_is_refused_and_changes_nothing(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data("wound", what_hurt="  ", what_missing="", what_needed="")
    body = client_for(alice).post(_new("wound"), data, headers=HX).content.decode()
    assert "Write at least one of: what hurt, what was missing, what you needed." in body
    assert not ChildhoodWound.objects.exists()


def test_an_oversized_wound_is_refused_and_what_was_typed_stays(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data("wound", what_hurt="h" * 2001)
    body = client_for(alice).post(_new("wound"), data, headers=HX).content.decode()
    assert "Ensure this value has at most 2000 characters (it has 2001)." in body
    assert "Someone to sit with me when I was sad" in body
    assert not ChildhoodWound.objects.exists()


def test_a_wound_is_private_until_shared_and_the_therapist_reads_it_only_when_shared_with_them(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.WOUND)
    url = reverse("exercises:entry", args=[entry.pk])
    assert "Being told to stop crying" in client_for(alice).get(url).content.decode()
    assert client_for(bob).get(url).status_code == 404
    assert client_for(carol_consented).get(url).status_code == 404

    set_visibility = reverse("exercises:entry_set_visibility", args=[entry.pk])
    client_for(alice).post(set_visibility, {"visibility": "1"})
    assert "Being told to stop crying" in client_for(bob).get(url).content.decode()
    assert client_for(carol_consented).get(url).status_code == 404

    client_for(alice).post(set_visibility, {"visibility": "2"})
    assert "Being told to stop crying" in client_for(carol_consented).get(url).content.decode()


def test_the_wound_page_suggests_the_workups_caretakers_and_offers_a_parent_child_dialogue(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.WORKUP)  # private: Mother and Father
    create_entry(bob, Kind.WORKUP, Visibility.PARTNER, **rows([{"name": "Uncle Jo",
        "positive_traits": "kind", "negative_traits": "loud"}]))  # fmt: skip
    page = client_for(alice).get(reverse("exercises:kind", args=["wound"])).content.decode()
    datalist = page.split('<datalist id="caretaker-names">')[1].split("</datalist>")[0]
    assert '"Mother"' in datalist and '"Father"' in datalist
    assert "Uncle Jo" not in datalist  # the partner's workup is theirs

    entry = create_entry(alice, Kind.WOUND)
    card = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert 'name="kind" value="parent_child"' in card
    assert 'value="Growing up with Mother"' in card
    client_for(alice).post(
        reverse("dialogue:start"), {"kind": "parent_child", "topic": "Growing up with Mother"}
    )
    assert Dialogue.objects.get().kind == "parent_child"


# --- Surprises and fun -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows_data", "message"),
    [
        ([{"category": "surprise", "text": ""}], "Add at least 1 idea."),
        ([{"category": "fun", "text": "y" * 201}], "at most 200 characters"),
        ([{"category": "chores", "text": "do the dishes"}], "Select a valid choice."),
    ],
)
def test_a_bad_surprises_list_is_refused_with_a_message_and_nothing_saved(
    couple: Couple, alice: User, client_for: ClientFor, rows_data: list, message: str
) -> None:
    data = valid_data("surprises", **rows(rows_data))
    body = client_for(alice).post(_new("surprises"), data, headers=HX).content.decode()
    assert message in body
    assert not SurpriseItem.objects.exists() and not Entry.objects.exists()


def test_without_javascript_a_surprises_list_is_saved_and_the_page_shows_it(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(_new("surprises"), valid_data("surprises"), follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("exercises:kind", args=["surprises"])
    assert "Saved: Surprises and fun: 2 ideas" in body and "breakfast in the garden" in body


@pytest.fixture
def surprises(couple: Couple, alice: User) -> Entry:
    return create_entry(alice, Kind.SURPRISES, Visibility.PARTNER)


def _give(kind_item: SurpriseItem, given_on: str = "") -> str:
    return reverse("exercises:gift_log", args=["surprises", kind_item.pk])


def test_the_partner_picks_a_surprise_and_marks_it_given(
    surprises: Entry, alice: User, bob: User, client_for: ClientFor
) -> None:
    item = SurpriseItem.objects.get(text="breakfast in the garden")
    today = timezone.localdate()
    page = client_for(bob).get(reverse("exercises:entry", args=[surprises.pk])).content.decode()
    assert "Surprises that would delight me" in page and "High-energy fun to have together" in page
    assert "I gave this one today" in page

    response = client_for(bob).post(_give(item), {"given_on": today.isoformat()}, headers=HX)
    body = response.content.decode()
    assert "Logged — thank you for caring." in body and "Given today ✓" in body
    assert SurpriseGift.objects.get().giver == bob

    mine = client_for(alice).get(reverse("exercises:entry", args=[surprises.pk]))
    assert "given 1 time" in mine.content.decode()
    assert "I gave this one today" not in mine.content.decode()  # not hers to give


def test_giving_a_surprise_twice_a_day_or_in_the_future_is_refused_and_changes_nothing(
    surprises: Entry, bob: User, client_for: ClientFor
) -> None:
    item = SurpriseItem.objects.get(text="breakfast in the garden")
    today = timezone.localdate()
    client_for(bob).post(_give(item), {"given_on": today.isoformat()})
    again = client_for(bob).post(_give(item), {"given_on": today.isoformat()}, headers=HX)
    assert "You&#x27;ve already logged this one for that day." in again.content.decode()
    future = (today + timezone.timedelta(days=1)).isoformat()
    later = client_for(bob).post(_give(item), {"given_on": future}, headers=HX)
    assert "Choose a day that isn&#x27;t in the future." in later.content.decode()
    malformed = client_for(bob).post(_give(item), {"given_on": "soon"}, headers=HX)
    assert "Choose a day that isn&#x27;t in the future." in malformed.content.decode()
    assert SurpriseGift.objects.count() == 1


def test_a_surprise_set_aside_cannot_be_given_until_taken_back_up(
    surprises: Entry, bob: User, client_for: ClientFor
) -> None:
    item = SurpriseItem.objects.get(text="a salsa class together")
    aside = reverse("exercises:gift_item_set_aside", args=["surprises", item.pk])
    client_for(bob).post(aside, {"aside": "1"})
    today = timezone.localdate().isoformat()
    body = client_for(bob).post(_give(item), {"given_on": today}, headers=HX).content.decode()
    assert "You set this one aside for now." in body
    client_for(bob).post(aside, {"aside": "0"})
    client_for(bob).post(_give(item), {"given_on": today})
    assert SurpriseGift.objects.count() == 1


def test_the_author_a_therapist_and_another_couple_cannot_give_a_surprise(
    surprises: Entry,
    alice: User,
    carol_consented: User,
    mallory: User,
    mallory_couple: Couple,
    client_for: ClientFor,
) -> None:
    item = SurpriseItem.objects.get(text="breakfast in the garden")
    today = {"given_on": timezone.localdate().isoformat()}
    own = client_for(alice).post(_give(item), today, headers=HX)
    assert "your partner is the one to answer it" in own.content.decode()
    assert client_for(carol_consented).post(_give(item), today).status_code == 404
    assert client_for(mallory).post(_give(item), today).status_code == 404
    unknown = reverse("exercises:gift_log", args=["appreciation", item.pk])
    assert client_for(mallory).post(unknown, today).status_code == 404
    assert not SurpriseGift.objects.exists()


def test_a_private_surprises_list_is_a_404_for_the_partner(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.SURPRISES)
    item = entry.surprises.items.first()
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404
    today = {"given_on": timezone.localdate().isoformat()}
    assert client_for(bob).post(_give(item), today).status_code == 404


def test_the_desk_shows_surprises_given_on_lists_shared_with_the_therapist(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.SURPRISES, Visibility.THERAPIST)
    hidden = create_entry(bob, Kind.SURPRISES, Visibility.PARTNER, **rows(
        [{"category": "fun", "text": "go-karting"}]))  # fmt: skip
    today = {"given_on": timezone.localdate().isoformat()}
    client_for(bob).post(_give(entry.surprises.items.first()), today)
    client_for(alice).post(_give(hidden.surprises.items.first()), today)
    page = client_for(carol_consented).get(reverse("desk:overview", args=[couple.pk]))
    body = page.content.decode()
    section = body.split('id="gifts-surprises-heading"')[1].split("</section>")[0]
    assert "Bob: <strong>1</strong>" in section
    assert "Alice" not in section  # Bob's list is not shared with the therapist


# --- Our shared history ------------------------------------------------------------------------


def test_shared_history_tells_entries_of_one_kind_apart_by_author_date_and_first_words(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.CARING, Visibility.PARTNER)
    create_entry(bob, Kind.CARING, Visibility.PARTNER, **rows(
        [{"category": "now", "text": "sing to me badly", "rating": "5"}] * 1
        + [{"category": "now", "text": "call me at lunch", "rating": "3"},
           {"category": "past", "text": "wash my hair", "rating": "4"}]))  # fmt: skip
    body = client_for(alice).get(reverse("exercises:history")).content.decode()
    results = body.split('id="history-results"')[1]
    items = results.split('<li class="timeline-item">')[1:]
    assert len(items) == 2
    today = timezone.localdate()
    for item in items:
        assert "Caring behaviors" in item and f"{today.day} {today:%b %Y}" in item
    assert "Bob" in items[0] and "sing to me badly" in items[0]
    assert "You" in items[1] and "plan a picnic" in items[1]


def test_the_desk_history_lists_only_the_new_kinds_shared_with_the_therapist(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.WOUND, Visibility.THERAPIST, what_hurt="the long winters alone")
    create_entry(bob, Kind.WOUND, Visibility.PARTNER, what_hurt="the shouting at dinner")
    create_entry(bob, Kind.TRAITS, Visibility.PRIVATE)
    create_entry(bob, Kind.SURPRISES, Visibility.THERAPIST)
    page = client_for(carol_consented).get(reverse("desk:history", args=[couple.pk]))
    body = page.content.decode()
    assert "the long winters alone" in body and "Childhood wound" in body
    assert "breakfast in the garden" in body  # Bob's surprises, shared with Carol
    assert "the shouting at dinner" not in body  # shared with Alice only
    assert "What I love about you" not in body  # private


def test_my_export_holds_the_new_kinds_with_their_rows(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.WOUND)
    create_entry(alice, Kind.TRAITS)
    surprises = create_entry(alice, Kind.SURPRISES, Visibility.PARTNER)
    item = surprises.surprises.items.get(text="breakfast in the garden")
    client_for(bob).post(
        reverse("exercises:gift_log", args=["surprises", item.pk]),
        {"given_on": timezone.localdate().isoformat()},
    )
    data = client_for(alice).get(reverse("exercises:export_json")).json()
    by_kind = {entry["kind"]: entry for entry in data["entries"]}
    assert by_kind["wound"]["details"]["what_needed"] == "To hear that my sadness made sense"
    assert [t["text"] for t in by_kind["traits"]["items"]][0] == "your laugh when you're surprised"
    given = next(i for i in by_kind["surprises"]["items"] if i["text"] == item.text)
    assert given["gifts"][0]["giver"] == "Bob"
    assert client_for(bob).get(reverse("exercises:export_json")).json()["entries"] == []
    csv_body = client_for(alice).get(reverse("exercises:export_csv")).content.decode()
    assert "a salsa class together" in csv_body and "Someone to sit with me" in csv_body
