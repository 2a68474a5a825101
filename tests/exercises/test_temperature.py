from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from exercises.models import Kind, TemperatureReading, Visibility

from .conftest import ClientFor, create_entry, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["temperature"])
PAGE = reverse("exercises:kind", args=["temperature"])


def test_a_reading_with_its_sections_is_saved(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    body = client_for(alice).post(NEW, valid_data("temperature"), headers=HX).content.decode()
    reading = TemperatureReading.objects.get()
    assert reading.together and reading.wishes == "A weekend by the sea"
    assert "Wishes, hopes and dreams" in body and "(together)" in body


def test_an_empty_reading_is_refused(couple: Couple, alice: User, client_for: ClientFor) -> None:
    data = valid_data("temperature", appreciations="", new_information="", wishes="")
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "Write something in at least one of the five sections." in body
    assert not TemperatureReading.objects.exists()


def test_a_complaint_without_a_request_is_refused_and_kept(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data("temperature", complaint="The dishes pile up")
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "A complaint comes with a request" in body and "The dishes pile up" in body
    assert not TemperatureReading.objects.exists()


def test_a_reading_dated_in_the_future_is_refused(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    body = client_for(alice).post(NEW, valid_data("temperature", reading_on=tomorrow)).content
    assert "can&#x27;t be dated in the future" in body.decode()
    assert not TemperatureReading.objects.exists()


def test_the_calendar_shows_shared_readings_to_both_and_private_ones_only_to_the_author(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    shared = create_entry(alice, Kind.TEMPERATURE, Visibility.PARTNER)
    private = create_entry(alice, Kind.TEMPERATURE, wishes="a private dream")
    alice_page = client_for(alice).get(PAGE).content.decode()
    bob_page = client_for(bob).get(PAGE).content.decode()
    calendar = alice_page.split('class="calendar"')[1].split("</table>")[0]
    assert calendar.count('class="dot"') == 2
    assert reverse("exercises:entry", args=[private.pk]) in calendar
    bob_calendar = bob_page.split('class="calendar"')[1].split("</table>")[0]
    assert bob_calendar.count('class="dot"') == 1
    assert reverse("exercises:entry", args=[shared.pk]) in bob_calendar
    assert "a private dream" not in bob_page


def test_the_calendar_moves_between_months(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.TEMPERATURE, reading_on="2026-03-14")
    page = client_for(alice).get(PAGE, {"month": "2026-03"}).content.decode()
    assert "Readings in March 2026" in page
    assert reverse("exercises:entry", args=[entry.pk]) in page
    assert "?month=2026-02" in page and "?month=2026-04" in page
    fallback = client_for(alice).get(PAGE, {"month": "garbage"}).content.decode()
    assert f"Readings in {timezone.localdate():%B %Y}" in fallback


@pytest.mark.parametrize("month", ["9999-12", "1-1", "0001-01", "2026-13", "x-y", "2026"])
def test_a_calendar_month_out_of_range_falls_back_to_this_month(
    month: str, couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).get(
        reverse("exercises:kind", args=["temperature"]), {"month": month}
    )
    assert response.status_code == 200
    assert timezone.localdate().strftime("%B %Y") in response.content.decode()


def test_a_therapists_look_at_the_calendar_is_recorded_for_the_couple(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.TEMPERATURE, Visibility.THERAPIST)
    create_entry(alice, Kind.TEMPERATURE, Visibility.PARTNER)
    client_for(carol_consented).get(reverse("exercises:kind", args=["temperature"]))
    looks = list(couple.therapist_views.values_list("what", flat=True))
    assert len(looks) == 2  # the list page and its calendar, each recorded
    assert any("calendar" in what for what in looks)
