"""Synthetic identity numbers for generated regions: unique, valid, never born
in the future, and enough of them for 500,000 patients."""

import random
from datetime import date, timedelta

from sesamlike.demo.people import TEST_SERIALS, personal_number
from sesamlike.patients.identity import parse_personal_id, synthetic_personnummer

DAY = date(1999, 2, 17)


def all_numbers(first: date, days: int) -> set[str]:
    return {
        synthetic_personnummer(first + timedelta(days=k), serial)
        for k in range(days)
        for serial in TEST_SERIALS
    }


def test_a_full_stretch_of_days_spills_to_an_earlier_day_not_a_later_one():
    # The 500,000-patient run failed here: 400 days from 1999-02-17 on were full.
    taken = all_numbers(DAY, 401)
    number = personal_number(random.Random(1), DAY, taken, coordination=False)
    assert number.startswith("19990216")
    assert parse_personal_id(number)  # a valid check digit


def test_many_patients_born_the_same_day_all_get_their_own_number():
    taken: set[str] = set()
    full: set = set()
    rng = random.Random(7)
    numbers = [
        personal_number(rng, DAY, taken, coordination=False, full=full)
        for _ in range(1000)
    ]
    assert len(set(numbers)) == 1000
    assert all(number[:8] <= "19990217" for number in numbers)
    assert len(full) == 1000 // len(TEST_SERIALS) - 1  # each full day once


def test_a_generated_patient_is_born_on_the_day_the_number_says(monkeypatch):
    from sesamlike.demo import generate, people

    def crowded(rng, birth_date, taken, *, coordination, full=None):
        return synthetic_personnummer(birth_date - timedelta(days=3), 990,
                                      coordination=coordination)  # fmt: skip

    monkeypatch.setattr(people, "personal_number", crowded)
    place = generate._Place("A", False)
    for n in range(20):
        rng = random.Random(n)
        places = ([place], [1.0])  # the clinics and their cumulative weights
        spec, _ = generate._spec(rng, n, date(2026, 12, 2), set(), places, places,
                                 set())  # fmt: skip
        if spec.personal_id.isdigit():
            assert parse_personal_id(spec.personal_id).birth_date == spec.birth_date
