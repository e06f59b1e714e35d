"""Properties of personnummer parsing (patients.identity.parse_personal_id)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from sesamlike.common.errors import Invalid
from sesamlike.common.time import region_today
from sesamlike.patients.identity import (
    IdKind,
    parse_personal_id,
    synthetic_personnummer,
)

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=region_today())


@st.composite
def valid_numbers(draw):
    """(12 digits, birth date, is coordination number) of a checksum-valid number."""
    born = draw(birth_dates)
    coordination = draw(st.booleans())
    serial = draw(st.integers(1, 999))  # serial 000 is never issued
    number = synthetic_personnummer(born, serial, coordination=coordination)
    return number, born, coordination


def spellings(number: str) -> list[str]:
    return [number, f"{number[:8]}-{number[8:]}", f" {number[:8]} {number[8:]} "]


@settings(max_examples=300, deadline=None)
@given(valid_numbers())
def test_every_valid_number_round_trips_to_12_digits_and_its_birth_date(value):
    number, born, coordination = value
    for spelling in spellings(number):
        parsed = parse_personal_id(spelling)
        assert parsed.number == number
        assert parsed.birth_date == born
        expected = IdKind.SAMORDNINGSNUMMER if coordination else IdKind.PERSONNUMMER
        assert parsed.kind == expected


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.integers(0, 11), st.integers(1, 9))
def test_a_single_changed_digit_is_refused_or_names_someone_else(
    value, position, shift
):
    number, born, _ = value
    digit = str((int(number[position]) + shift) % 10)
    changed = number[:position] + digit + number[position + 1 :]
    try:
        parsed = parse_personal_id(changed)
    except Invalid:
        return
    # The check digit covers YYMMDDNNN and itself: any change there is caught.
    # Only the century (not part of the check) can change into another valid date.
    assert position < 2, f"{changed} accepted although {number} was changed"
    assert parsed.number == changed and parsed.birth_date != born


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="0123456789-+ ", max_size=16),
        st.from_regex(r"\A[0-9]{10}([0-9]{2})?\Z"),
        st.none(),
    )
)
def test_any_input_is_parsed_or_refused_with_invalid_never_another_error(text):
    try:
        parsed = parse_personal_id(text)
    except Invalid as error:
        assert error.fields.get("personal_id")
        return
    assert len(parsed.number) == 12 and parsed.number.isdigit()
