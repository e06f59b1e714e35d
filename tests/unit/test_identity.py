from datetime import date

import pytest

from sesamlike.common.errors import Invalid
from sesamlike.patients.identity import (
    AgeGroup,
    IdKind,
    age_group,
    parse_personal_id,
    parse_reserve_number,
)


@pytest.mark.parametrize(
    "given",
    [
        "199001029801",
        "19900102-9801",
        "900102-9801",
        "9001029801",
        " 199001029801 ",
        "900102 9801",
        "19900102 9801",
    ],
)
def test_personnummer_is_normalised_to_twelve_digits(given):
    parsed = parse_personal_id(given)
    assert parsed.number == "199001029801"
    assert parsed.kind == IdKind.PERSONNUMMER
    assert parsed.birth_date == date(1990, 1, 2)


def test_samordningsnummer_is_accepted_with_its_real_birth_date():
    parsed = parse_personal_id("198503639836")
    assert parsed.kind == IdKind.SAMORDNINGSNUMMER
    assert parsed.birth_date == date(1985, 3, 3)


@pytest.mark.parametrize(
    "bad", ["199001029802", "19901302-9801", "abc", "", "1990010298", "12345678901234"]
)
def test_invalid_personnummer_is_refused_with_a_message(bad):
    with pytest.raises(Invalid) as caught:
        parse_personal_id(bad)
    assert caught.value.fields["personal_id"]


def test_reserve_number_keeps_given_birth_date():
    parsed = parse_reserve_number("lma-12345", date(2001, 5, 6))
    assert parsed.number == "LMA-12345"
    assert parsed.kind == IdKind.RESERVE


@pytest.mark.parametrize(
    ("birth", "day", "group"),
    [
        (date(2010, 6, 1), date(2028, 5, 31), AgeGroup.CHILD),
        (date(2010, 6, 1), date(2028, 6, 1), AgeGroup.ADULT),
        (date(1960, 6, 1), date(2025, 5, 31), AgeGroup.ADULT),
        (date(1960, 6, 1), date(2025, 6, 1), AgeGroup.ELDERLY),
    ],
)
def test_age_group_changes_on_the_birthday(birth, day, group):
    assert age_group(birth, day) == group
