"""The move from one shared homework state to one answer per partner keeps what was answered:
an earlier answer becomes the part of the partner who gave it; the other part stays to do."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE_NAME = "0003_traits_wounds_surprises"
AFTER_NAME = "0004_homework_answer_per_partner"


def _targets(exercises: str) -> list[tuple[str, str]]:
    """Every other app at its latest migration, `exercises` at the one given."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return [(app, name) for app, name in leaves if app != "exercises"] + [("exercises", exercises)]


@pytest.mark.django_db(transaction=True)
def test_an_earlier_answer_becomes_the_part_of_the_partner_who_gave_it() -> None:
    before, after = _targets(BEFORE_NAME), _targets(AFTER_NAME)
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    user = old.get_model("couples", "User")
    alice = user.objects.create(
        email="a@example.com", display_name="Alice", role="partner", time_zone="UTC"
    )
    carol = user.objects.create(
        email="c@example.com", display_name="Carol", role="therapist", time_zone="UTC"
    )
    couple = old.get_model("couples", "Couple").objects.create()
    homework = old.get_model("exercises", "Homework")
    answered_at = timezone.now()
    answered = homework.objects.create(
        couple=couple,
        assigned_by=carol,
        kind="caring",
        instructions="One a day.",
        state="did_not_fit",
        answered_by=alice,
        answered_at=answered_at,
        comment="No time this week",
    )
    still_open = homework.objects.create(
        couple=couple, assigned_by=carol, kind="vision", instructions="A vision."
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    answers = new.get_model("exercises", "HomeworkAnswer").objects
    assert list(answers.values_list("homework", "partner", "state", "comment", "answered_at")) == [
        (answered.pk, alice.pk, "did_not_fit", "No time this week", answered_at)
    ]
    assert not answers.filter(homework=still_open.pk).exists()

    MigrationExecutor(connection).migrate(before)  # and back: the answer is the shared state
    back = homework.objects.get(pk=answered.pk)
    assert (back.state, back.answered_by_id, back.comment) == (
        "did_not_fit",
        alice.pk,
        "No time this week",
    )
    MigrationExecutor(connection).migrate(after)
