"""What a street, a city, a door code and a phone number may look like: garbage
a parcel would never arrive with is refused (the portal walkthrough); what real
Swedish addresses and stored door codes hold is taken (the review of the
checks: "1234/5678" and "Drottninggatan 10½" were refused, so a patient whose
stored door code had a slash could not order home)."""

from __future__ import annotations

import pytest

from sesamlike.patients.contact_checks import (
    city_refusal,
    door_code_refusal,
    phone_refusal,
    street_refusal,
)


@pytest.mark.parametrize("street", [
    "Storgatan 5 B, lgh 1102", "c/o Svensson, Ågatan 3", "S:t Göransgatan 3",
    "Drottninggatan 10½", "Storgatan\u00a05", "Sankt Eriks gata 12–14",
    "Müllers väg 1", "Norra Ågatan 7 (uppg. B)", 'Villa "Ekbacken"',
    "A\u030agatan 3", "",
])  # fmt: skip
def test_real_streets_are_taken(street):
    assert street_refusal(street) is None


@pytest.mark.parametrize("street", ["😀😀", "<i>x</i>", "123", "----", "Gatan 1 ™"])
def test_streets_nobody_could_deliver_to_are_refused(street):
    assert street_refusal(street) == "Skriv gatuadressen med bokstäver och siffror."


@pytest.mark.parametrize("city", ["Öregrund", "Upplands Väsby", "Sankt-Petersburg",
                                  "Håbo\u00a0kn", "Mölndal"])  # fmt: skip
def test_real_cities_are_taken(city):
    assert city_refusal(city) is None


@pytest.mark.parametrize("city", ["<i>x</i>", "A", "12345", "😀 Lund"])
def test_cities_without_letters_only_are_refused(city):
    assert city_refusal(city) == "Skriv orten med bokstäver."


@pytest.mark.parametrize(
    "door_code", ["1234", "#1234*", "1234/5678", "1234, sedan 5678", "12.34", "A 12"]
)
def test_door_codes_as_written_down_are_taken(door_code):
    assert door_code_refusal(door_code) is None


@pytest.mark.parametrize("door_code", ["😀", "<b>", "1234 ™", "12\x00"])
def test_door_codes_with_symbols_are_refused(door_code):
    assert door_code_refusal(door_code) is not None


@pytest.mark.parametrize("phone, message", [
    ("070-123 45 67", None), ("+46 (0)70-123 45 67", None), ("08-123 456", None),
    ("------", "Telefonnumret ska ha minst 6 siffror."),
    ("1", "Telefonnumret ska ha minst 6 siffror."),
    ("0" * 16, "Telefonnumret får ha högst 15 siffror."),
    ("070 123 45 67 ring!",
     "Skriv telefonnumret med siffror, till exempel 070-123 45 67."),
    ("٠٧٠١٢٣٤٥٦٧", "Skriv telefonnumret med siffror, till exempel 070-123 45 67."),
])  # fmt: skip
def test_phone_numbers(phone, message):
    assert phone_refusal(phone) == message
