from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, TherapistView, User
from dialogue.services import dialogue_invite_therapist
from exercises.models import Entry, Kind, Visibility
from exercises.services import homework_answer, homework_assign

from .conftest import ClientFor, create_entry
from .desk_world import full_dialogue, shared_and_private, shared_dialogue

pytestmark = pytest.mark.django_db


def _url(name: str, couple: Couple, *args: object) -> str:
    return reverse(f"desk:{name}", args=[couple.pk, *args])


def _main(body: bytes) -> str:
    return body.decode().split('id="main"')[1]


# --- The client list ---------------------------------------------------------------------------


def test_each_client_on_the_therapists_home_links_to_their_desk(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    body = _main(client_for(carol_consented).get("/").content)
    assert f'href="{_url("overview", couple)}"' in body
    assert "Alice &amp; Bob" in body


def test_the_client_list_counts_what_is_new_since_the_therapist_last_opened_the_desk(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    carol = client_for(carol_consented)
    create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST)
    create_entry(bob, Kind.APPRECIATION, Visibility.THERAPIST)
    body = _main(carol.get("/").content)
    assert "New since you last looked:\n      2 entries" in body
    carol.get(_url("overview", couple))
    assert "nothing new since you last looked" in _main(carol.get("/").content)
    create_entry(bob, Kind.TEMPERATURE, Visibility.THERAPIST)
    shared_dialogue(alice, bob, couple)
    body = _main(carol.get("/").content)
    assert "1 entry, 1 dialogue" in body


def test_private_and_partner_only_work_is_neither_counted_nor_dated_on_the_client_list(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    old = create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST)
    Entry.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40),
        updated_at=timezone.now() - timedelta(days=40),
    )
    create_entry(bob, Kind.APPRECIATION, Visibility.PRIVATE)
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    full_dialogue(alice, bob, couple)  # not shared with Carol
    body = _main(client_for(carol_consented).get("/").content)
    assert "1 entry" in body
    assert "dialogue" not in body.split("New since")[1].split("</span>")[0]
    assert f"last activity {(timezone.localdate() - timedelta(days=40)):%-d %b %Y}" in body


def test_the_client_list_look_is_recorded_for_the_partners(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    client_for(carol_consented).get("/")
    assert TherapistView.objects.filter(couple=couple, what__startswith="Your clients").exists()


# --- The desk ----------------------------------------------------------------------------------


def test_every_desk_page_shows_shared_work_and_never_private_or_partner_only_work(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    world = shared_and_private(alice, bob)
    dialogue = shared_dialogue(alice, bob, couple)
    carol = client_for(carol_consented)
    pages = [
        _url(name, couple)
        for name in ("overview", "history", "dialogues", "skills", "homework", "notes", "brief")
    ] + [_url("transcript", couple, dialogue.pk), _url("export", couple)]
    for url in pages:
        response = carol.get(url)
        assert response.status_code == 200, url
        assert b"SECRET" not in response.content, url
    history = carol.get(_url("history", couple)).content.decode()
    for entry in world["shared"]:
        assert str(entry.pk) in history
    assert str(world["private"].pk) not in history
    assert str(world["partner_only"].pk) not in history


def test_the_overview_counts_only_what_is_shared_with_the_therapist(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    shared_and_private(alice, bob)
    shared_dialogue(alice, bob, couple)
    full_dialogue(bob, alice, couple, "Money")  # held, but not shared with Carol
    body = client_for(carol_consented).get(_url("overview", couple)).content.decode()
    assert "Entries shared with you, per week: 5 in all" in body
    assert "<strong>1</strong> held, <strong>1</strong> completed" in body
    assert "Appreciations: <strong>1</strong>" in body
    assert "Money" not in body


def test_the_shared_history_filters_by_exercise_and_answers_htmx_with_the_section_alone(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    world = shared_and_private(alice, bob)
    response = client_for(carol_consented).get(
        _url("history", couple), {"kind": Kind.VISION}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert "<html" not in body and 'aria-current="page"' in body
    assert body.count('class="timeline-item"') == 1
    assert str(world["shared"][-1].pk) in body


def test_the_shared_history_is_paginated(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    from .bulk import bulk_entries

    bulk_entries(alice, couple, 45, visibility=Visibility.THERAPIST)
    carol = client_for(carol_consented)
    first = carol.get(_url("history", couple)).content.decode()
    assert first.count('class="timeline-item"') == 20 and "Page 1 of 3" in first
    last = carol.get(_url("history", couple), {"page": 3}).content.decode()
    assert last.count('class="timeline-item"') == 5


def test_a_bad_history_filter_is_explained(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    body = (
        client_for(carol_consented)
        .get(_url("history", couple), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
        .content.decode()
    )
    assert "“To” must be on or after “From”." in body


def test_only_dialogues_a_partner_shared_are_listed_and_readable(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    shared = shared_dialogue(alice, bob, couple, "Evenings")
    private = full_dialogue(bob, alice, couple, "Holidays")
    carol = client_for(carol_consented)
    listing = carol.get(_url("dialogues", couple)).content.decode()
    assert "Evenings" in listing and "Holidays" not in listing
    transcript = carol.get(_url("transcript", couple, shared.pk)).content.decode()
    assert "You feel alone when I come home late." in transcript
    assert carol.get(_url("transcript", couple, private.pk)).status_code == 404


def test_withdrawing_a_dialogue_takes_it_off_the_desk_at_once(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    dialogue = shared_dialogue(alice, bob, couple)
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=bob, invite=False)
    carol = client_for(carol_consented)
    assert carol.get(_url("transcript", couple, dialogue.pk)).status_code == 404
    assert "Evenings" not in carol.get(_url("dialogues", couple)).content.decode()


def _skill_rows(body: str, partner: str) -> dict[str, int]:
    table = body.split(f"<caption>{partner}</caption>")[1].split("</table>")[0]
    rows = {}
    for row in table.split('<tr><th scope="row">')[1:]:
        label = row.split("</th>")[0]
        rows[label] = int(row.split("<td><strong>")[1].split("</strong>")[0])
    return rows


def test_dialogue_skills_are_read_from_the_turns_per_partner(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    shared_dialogue(alice, bob, couple)  # Alice sends, Bob receives
    full_dialogue(bob, alice, couple, "Not shared")  # not counted: Carol was not invited
    body = client_for(carol_consented).get(_url("skills", couple)).content.decode()
    assert _skill_rows(body, "Bob") == {
        "Dialogues completed": 1,
        "Mirrors confirmed at the first try": 0,
        "Mirrors confirmed after a correction": 1,
        "“Is there more?” asked": 1,
        "Validations given": 1,
        "Empathy confirmed": 1,
        "Time-outs called": 0,
    }
    assert _skill_rows(body, "Alice") == {
        "Dialogues completed": 1,
        "Mirrors confirmed at the first try": 0,
        "Mirrors confirmed after a correction": 0,
        "“Is there more?” asked": 0,
        "Validations given": 0,
        "Empathy confirmed": 0,
        "Time-outs called": 1,
    }


def test_the_brief_shows_what_is_new_since_the_chosen_day(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    old = create_entry(alice, Kind.TEMPERATURE, Visibility.THERAPIST)
    Entry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    create_entry(bob, Kind.TEMPERATURE, Visibility.THERAPIST)
    create_entry(bob, Kind.APPRECIATION, Visibility.THERAPIST)
    homework = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.APPRECIATION, instructions="One a day."
    )
    homework_answer(homework_id=homework.pk, by=bob, state="done")
    shared_dialogue(alice, bob, couple)
    since = timezone.localdate() - timedelta(days=3)
    body = (
        client_for(carol_consented)
        .get(_url("brief", couple), {"since": since.isoformat()})
        .content.decode()
    )
    assert f"Since {since:%A %-d %B %Y}" in body
    brief = body.split('id="report-overview"')[0]
    assert "Appreciations: <strong>1</strong>" in brief
    assert "Daily temperature readings: <strong>1</strong>" in brief
    assert "<strong>1</strong> held, <strong>1</strong> completed" in brief
    assert "Bob, " in brief and "done" in brief
    assert 'class="print-report"' in body  # the whole report, for printing


def test_a_brief_date_in_the_future_is_explained(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(carol_consented).get(
        _url("brief", couple), {"since": tomorrow.isoformat()}
    )
    assert response.status_code == 400
    assert "Choose a day in the past." in response.content.decode()


def test_the_desk_pages_link_a_print_stylesheet_and_use_no_inline_styles(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    body = client_for(carol_consented).get(_url("brief", couple)).content.decode()
    assert 'href="/static/exercises/desk-print.' in body and 'media="print"' in body
    assert "style=" not in body and "<style" not in body


def test_the_export_holds_exactly_what_the_therapist_may_see(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    world = shared_and_private(alice, bob)
    dialogue = shared_dialogue(alice, bob, couple)
    full_dialogue(bob, alice, couple, "Holidays")
    response = client_for(carol_consented).get(_url("export", couple))
    assert response["Content-Disposition"].startswith('attachment; filename="imago-client-')
    data = json.loads(response.content)
    assert {e["id"] for e in data["entries"]} == {str(e.pk) for e in world["shared"]}
    assert [d["id"] for d in data["dialogues"]] == [str(dialogue.pk)]
    assert len(data["dialogues"][0]["turns"]) == 18
    assert data["couple"]["partners"] == ["Alice", "Bob"]


def test_every_desk_page_records_a_look_the_partners_can_read(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    client_for(carol_consented).get(_url("skills", couple))
    look = TherapistView.objects.get(couple=couple, what="Client desk: dialogue skills")
    assert look.path == _url("skills", couple)
    body = (
        client_for(alice).get(reverse("couples:couple_detail", args=[couple.pk])).content.decode()
    )
    assert "Client desk: dialogue skills" in body


def test_the_desk_chart_puts_each_shared_entry_in_its_week_and_leaves_private_ones_out(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    earlier = create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST)
    Entry.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(weeks=3))
    create_entry(bob, Kind.TEMPERATURE, Visibility.THERAPIST)
    create_entry(bob, Kind.APPRECIATION, Visibility.PRIVATE)
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    body = client_for(carol_consented).get(_url("overview", couple)).content.decode()
    figure = body.split('data-testid="desk-activity"')[1].split("</figure>")[0]
    counts = [int(n) for n in re.findall(r"<td>\d+ \w+ \d{4}</td><td>(\d+)</td>", figure)]
    assert counts == [0, 0, 0, 0, 1, 0, 0, 1]


def test_the_client_list_counts_only_the_homework_answers_the_therapist_may_see(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    from couples.models import TherapistLink
    from couples.services import (
        therapist_consent_give,
        therapist_link_create,
        therapist_link_revoke,
    )

    from ..conftest import make_user

    earlier = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.VISION, instructions="Carol's."
    )
    homework_answer(homework_id=earlier.pk, by=alice, state="done")
    therapist_link_revoke(link=TherapistLink.objects.get(), by=bob)
    theo = make_user("theo@example.com", "Theo", User.Role.THERAPIST)
    link = therapist_link_create(couple=couple, therapist=theo, by=alice)
    therapist_consent_give(link=link, partner=bob)
    body = _main(client_for(theo).get("/").content)
    assert "nothing new since you last looked" in body
    assert "nothing shared yet" in body


def test_the_shared_dialogues_are_listed_twenty_to_a_page(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    from .test_desk_queries import _bulk_dialogues

    _bulk_dialogues(couple, alice, bob, carol_consented, 25)
    carol = client_for(carol_consented)
    first = carol.get(_url("dialogues", couple)).content.decode()
    assert first.count("/clients/") and "Page 1 of 2" in first
    assert first.count('hx-target="#desk-section" hx-push-url="true">Topic ') == 20
    second = carol.get(_url("dialogues", couple), {"page": 2}).content.decode()
    assert second.count('hx-target="#desk-section" hx-push-url="true">Topic ') == 5
