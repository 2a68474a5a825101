"""Homework for both partners: each marks their own part done, or says it did not fit (with a
comment); the desk shows each partner's part, and one partner's answer leaves the other's open."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, Notification, User
from exercises.models import Homework, HomeworkAnswer, Kind
from exercises.services import ExerciseError, homework_answer, homework_assign

from .conftest import ClientFor

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(couple: Couple, carol_consented: User) -> Homework:
    return homework_assign(
        couple=couple,
        by=carol_consented,
        kind=Kind.CARING,
        instructions="BOTH-HOMEWORK: one caring behavior a day.",
        due_on=timezone.localdate() + timedelta(days=3),
    )


def _answer(client: object, homework: Homework, **data: str) -> object:
    return client.post(
        reverse("exercises:homework_answer", args=[homework.pk]), {"next": "/", **data}
    )


def _part(page: str, homework: Homework, user: User) -> str:
    """The desk's line for `user`'s part of `homework`."""
    marker = f'data-testid="homework-{homework.pk}-{user.pk}">'
    return page.split(marker, 1)[1].split("</li>", 1)[0]


def test_each_partner_answers_their_own_part_and_the_desk_shows_both(
    couple: Couple,
    alice: User,
    bob: User,
    carol_consented: User,
    both: Homework,
    client_for: ClientFor,
) -> None:
    desk_url = reverse("desk:homework", args=[couple.pk])
    carol = client_for(carol_consented)
    _answer(client_for(bob), both, state="done")
    desk = carol.get(desk_url).content.decode()
    assert "Partly answered" in desk
    assert "Done" in _part(desk, both, bob)
    assert "To do" in _part(desk, both, alice)

    # Bob's answer left Alice's part open: she still has it to do, with the form.
    alice_home = client_for(alice).get("/").content.decode()
    assert "BOTH-HOMEWORK" in alice_home and "Mark it done, or say it did not fit" in alice_home
    assert "Bob: Done" in alice_home
    bob_home = client_for(bob).get("/").content.decode()
    assert "Mark it done, or say it did not fit" not in bob_home and "You: Done" in bob_home

    _answer(client_for(alice), both, state="did_not_fit", comment="ALICE-NO-TIME this week")
    desk = carol.get(desk_url).content.decode()
    assert "Answered" in desk and "Partly answered" not in desk
    assert "Did not fit" in _part(desk, both, alice) and "ALICE-NO-TIME" in _part(desk, both, alice)
    assert "ALICE-NO-TIME" not in _part(desk, both, bob)
    states = dict(HomeworkAnswer.objects.values_list("partner__display_name", "state"))
    assert states == {"Alice": "did_not_fit", "Bob": "done"}

    export = json.loads(carol.get(reverse("desk:export", args=[couple.pk])).content)
    parts = {p["partner"]: p for p in export["homework"][0]["parts"]}
    assert (parts["Alice"]["state"], parts["Alice"]["comment"]) == (
        "Did not fit",
        "ALICE-NO-TIME this week",
    )
    assert parts["Bob"]["state"] == "Done"


def test_answering_again_replaces_ones_own_answer_and_never_the_partners(
    alice: User, bob: User, both: Homework
) -> None:
    homework_answer(homework_id=both.pk, by=alice, state="did_not_fit", comment="too busy")
    homework_answer(homework_id=both.pk, by=bob, state="done")
    homework_answer(homework_id=both.pk, by=alice, state="done")
    assert sorted(both.answers.values_list("partner__display_name", "state", "comment")) == [
        ("Alice", "done", ""),
        ("Bob", "done", ""),
    ]


def test_one_partners_answer_withdraws_only_their_own_due_date_reminder(
    alice: User, bob: User, both: Homework
) -> None:
    homework_answer(homework_id=both.pk, by=alice, state="done")
    reminders = Notification.objects.filter(variant="homework", cancelled_at__isnull=True)
    assert list(reminders.values_list("recipient", flat=True)) == [bob.pk]


def test_did_not_fit_without_a_comment_is_refused_and_records_nothing(
    alice: User, both: Homework, client_for: ClientFor
) -> None:
    with pytest.raises(ExerciseError) as caught:
        homework_answer(homework_id=both.pk, by=alice, state="did_not_fit", comment="  ")
    assert caught.value.code == "comment_required"
    response = _answer(client_for(alice), both, state="did_not_fit")
    assert response.status_code == 302
    assert not HomeworkAnswer.objects.exists()


def test_outsiders_and_the_therapist_cannot_answer_a_part(
    couple: Couple,
    carol_consented: User,
    mallory: User,
    mallory_couple: Couple,
    both: Homework,
    client_for: ClientFor,
) -> None:
    mike = mallory_couple.partners.exclude(pk=mallory.pk).get()
    for someone in (mallory, mike):
        assert _answer(client_for(someone), both, state="done").status_code == 404
        with pytest.raises(ExerciseError):
            homework_answer(homework_id=both.pk, by=someone, state="done")
    with pytest.raises(ExerciseError):
        homework_answer(homework_id=both.pk, by=carol_consented, state="done")
    assert not HomeworkAnswer.objects.exists()


def test_another_couples_desk_address_does_not_show_this_homework(
    couple: Couple,
    alice: User,
    mallory: User,
    mallory_couple: Couple,
    carol_consented: User,
    both: Homework,
    client_for: ClientFor,
) -> None:
    homework_answer(homework_id=both.pk, by=alice, state="did_not_fit", comment="PRIVATE-WHY")
    for someone in (alice, mallory, carol_consented):
        response = client_for(someone).get(reverse("desk:homework", args=[mallory_couple.pk]))
        assert response.status_code == 404
    assert client_for(alice).get(reverse("desk:homework", args=[couple.pk])).status_code == 404
