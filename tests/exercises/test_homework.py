from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from exercises.models import Entry, Homework, Kind, Visibility
from exercises.services import ExerciseError, homework_answer, homework_assign

from .conftest import ClientFor, valid_data

pytestmark = pytest.mark.django_db


def _assign(client: object, couple: Couple, **data: object) -> object:
    return client.post(
        reverse("desk:homework_assign", args=[couple.pk]),
        {"kind": Kind.APPRECIATION, "assignee": "both", "instructions": "One a day.", **data},
    )


def test_homework_round_trip_from_the_desk_to_the_partners_and_back(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    carol = client_for(carol_consented)
    due = timezone.localdate() + timedelta(days=7)
    response = _assign(
        carol,
        couple,
        assignee=str(bob.pk),
        instructions="Write Alice one appreciation every evening.",
        due_on=due.isoformat(),
    )
    assert response.status_code == 302
    homework = Homework.objects.get()
    assert (homework.assignee, homework.kind, homework.due_on) == (bob, Kind.APPRECIATION, due)

    bob_client = client_for(bob)
    home = bob_client.get("/").content.decode()
    assert "Write Alice one appreciation every evening." in home
    assert f"{reverse('exercises:kind', args=['appreciation'])}?homework={homework.pk}" in home
    page = bob_client.get(
        reverse("exercises:kind", args=["appreciation"]), {"homework": homework.pk}
    ).content.decode()
    assert "Your homework" in page
    assert f'<option value="{homework.pk}" selected>' in page

    bob_client.post(
        reverse("exercises:entry_create", args=["appreciation"]),
        {**valid_data("appreciation"), "visibility": Visibility.THERAPIST, "homework": homework.pk},
    )
    bob_client.post(
        reverse("exercises:entry_create", args=["appreciation"]),
        {**valid_data("appreciation", appreciate="PRIVATE-FOR-HOMEWORK"), "homework": homework.pk},
    )
    assert Entry.objects.filter(homework=homework).count() == 2
    bob_client.post(
        reverse("exercises:homework_answer", args=[homework.pk]),
        {"state": "done", "comment": "", "next": "/"},
    )
    assert [(a.partner, a.state) for a in homework.answers.all()] == [(bob, "done")]

    desk = carol.get(reverse("desk:homework", args=[couple.pk])).content.decode()
    assert "<strong>Bob</strong>: Done" in desk
    shared = Entry.objects.get(homework=homework, visibility=Visibility.THERAPIST)
    assert reverse("exercises:entry", args=[shared.pk]) in desk
    assert "PRIVATE-FOR-HOMEWORK" not in desk
    assert desk.count(reverse("exercises:entry", args=[shared.pk])) == 1


def test_homework_for_one_partner_is_not_shown_to_or_answerable_by_the_other(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    homework = homework_assign(
        couple=couple,
        by=carol_consented,
        kind=Kind.TEMPERATURE,
        instructions="Bob alone.",
        assignee=bob,
    )
    assert "Bob alone." not in client_for(alice).get("/").content.decode()
    with pytest.raises(ExerciseError):
        homework_answer(homework_id=homework.pk, by=alice, state="done")
    response = client_for(alice).post(
        reverse("exercises:entry_create", args=["temperature"]),
        {**valid_data("temperature"), "homework": homework.pk},
    )
    assert response.status_code == 200  # the form again, with the homework choice refused
    assert not Entry.objects.exists()


def test_saying_homework_did_not_fit_needs_a_comment_and_the_therapist_reads_it(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    homework = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.VISION, instructions="A vision."
    )
    client = client_for(alice)
    client.post(reverse("exercises:homework_answer", args=[homework.pk]), {"state": "did_not_fit"})
    assert not homework.answers.exists()
    response = client.post(
        reverse("exercises:homework_answer", args=[homework.pk]),
        {"state": "did_not_fit", "comment": "We need more time for this."},
        follow=True,
    )
    assert "your therapist will see it did not fit" in response.content.decode()
    desk = client_for(carol_consented).get(reverse("desk:homework", args=[couple.pk]))
    assert "We need more time for this." in desk.content.decode()


def test_an_outsider_cannot_answer_someone_elses_homework(
    couple: Couple, carol_consented: User, mallory: User, client_for: ClientFor
) -> None:
    homework = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.VISION, instructions="A vision."
    )
    response = client_for(mallory).post(
        reverse("exercises:homework_answer", args=[homework.pk]), {"state": "done"}
    )
    assert response.status_code == 404
    assert not homework.answers.exists()


def test_the_therapist_cannot_answer_homework(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    homework = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.VISION, instructions="A vision."
    )
    with pytest.raises(ExerciseError):
        homework_answer(homework_id=homework.pk, by=carol_consented, state="done")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"instructions": ""}, "This field is required."),
        ({"instructions": "x" * 2001}, "at most 2000 characters"),
        ({"kind": "tarot"}, "Select a valid choice."),
        ({"assignee": "999999"}, "Select a valid choice."),
        ({"due_on": "2020-01-01"}, "Choose a day from today on."),
        ({"due_on": "not a day"}, "Enter a valid date."),
    ],
)
def test_bad_homework_is_explained_and_nothing_is_assigned(
    data: dict[str, object],
    message: str,
    couple: Couple,
    carol_consented: User,
    client_for: ClientFor,
) -> None:
    response = _assign(client_for(carol_consented), couple, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Homework.objects.exists()


def test_a_partner_of_another_couple_cannot_be_assigned_homework(
    couple: Couple, carol_consented: User, mallory: User
) -> None:
    with pytest.raises(ExerciseError, match="Choose one of the two partners"):
        homework_assign(
            couple=couple, by=carol_consented, kind=Kind.VISION, instructions="x", assignee=mallory
        )


def test_assigning_homework_over_htmx_answers_with_the_section(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    response = client_for(carol_consented).post(
        reverse("desk:homework_assign", args=[couple.pk]),
        {"kind": Kind.CARING, "assignee": "both", "instructions": "Three lists."},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "Homework assigned: Caring behaviors." in body and "Three lists." in body
