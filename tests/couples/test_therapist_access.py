from __future__ import annotations

import pytest

from couples.access import couple_access_role
from couples.models import Couple, TherapistLink, User
from couples.services import (
    couple_leave,
    therapist_consent_give,
    therapist_link_create,
    therapist_link_revoke,
)

pytestmark = pytest.mark.django_db


def test_partners_are_partners_and_outsiders_are_nobody(
    couple: Couple, alice: User, mallory: User
) -> None:
    assert couple_access_role(couple=couple, user=alice) == "partner"
    assert couple_access_role(couple=couple, user=mallory) is None


def test_a_therapist_needs_both_partners_consent(
    couple: Couple, alice: User, bob: User, carol: User
) -> None:
    link = therapist_link_create(couple=couple, therapist=carol, by=alice)
    assert couple_access_role(couple=couple, user=carol) is None
    therapist_consent_give(link=link, partner=bob)
    assert couple_access_role(couple=couple, user=carol) == "therapist"


def test_either_partners_revoke_ends_access_at_once(
    couple: Couple, bob: User, carol_consented: User
) -> None:
    therapist_link_revoke(link=TherapistLink.objects.get(), by=bob)
    assert couple_access_role(couple=couple, user=carol_consented) is None


def test_access_ends_when_the_couple_ends(
    couple: Couple, alice: User, carol_consented: User
) -> None:
    couple_leave(couple=couple, user=alice)
    assert couple_access_role(couple=couple, user=carol_consented) is None


def test_another_therapist_sees_nothing(couple: Couple, carol_consented: User) -> None:
    other = User.objects.create_user(
        "theo@example.com", "x", display_name="Theo", role=User.Role.THERAPIST
    )
    assert couple_access_role(couple=couple, user=other) is None
