"""Personal identity numbers: personnummer, samordningsnummer and reserve numbers.

Validated with the `personnummer` package, which (unlike python-stdnum) also
accepts samordningsnummer (day + 60). Stored normalised to 12 digits.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from personnummer import personnummer as pnr

from sesamlike.common.i18n import N_, _
from sesamlike.patients import errors


class IdKind(enum.StrEnum):
    PERSONNUMMER = "personnummer"
    SAMORDNINGSNUMMER = "samordningsnummer"
    RESERVE = "reserve"


class AgeGroup(enum.StrEnum):
    CHILD = "0-17"
    ADULT = "18-64"
    ELDERLY = "65+"


# One name for an age group on every page and in every file (the patient's
# page, the search, the follow-up report and its exports, the NDR file).
AGE_GROUP_LABELS = {
    AgeGroup.CHILD: N_("Barn 0–17 år"),
    AgeGroup.ADULT: N_("Vuxen 18–64 år"),
    AgeGroup.ELDERLY: N_("Äldre 65+ år"),
}


def age_group_label(group: str) -> str:
    """An age group's name in the reader's language ("Barn 0–17 år")."""
    return _(AGE_GROUP_LABELS[AgeGroup(group)])


@dataclass(frozen=True)
class PersonalId:
    number: str  # 12 digits, or the reserve number as given
    kind: IdKind
    birth_date: date | None


_SEPARATORS = re.compile(r"[\s\-+]")
_RESERVE = re.compile(r"^[A-Za-z0-9\-]{4,20}$")


def parse_personal_id(value: str) -> PersonalId:
    """Validate a personnummer or samordningsnummer and normalise it to 12 digits."""
    raw = (value or "").strip()
    if not raw:
        raise errors.PersonalIdRequired(fields={"personal_id": ["Obligatoriskt."]})
    digits = _SEPARATORS.sub("", raw)
    if not digits.isdecimal() or len(digits) not in (10, 12):
        raise errors.PersonalIdFormat(fields={"personal_id": ["Fel format."]})
    try:
        parsed = pnr.Personnummer(re.sub(r"\s", "", raw))
    except pnr.PersonnummerException:
        raise errors.PersonalIdInvalid(
            fields={"personal_id": [N_("Ogiltig kontrollsiffra eller datum.")]},
        ) from None
    kind = (
        IdKind.SAMORDNINGSNUMMER
        if parsed.is_coordination_number()
        else IdKind.PERSONNUMMER
    )
    return PersonalId(parsed.format(True), kind, parsed.get_date())


def parse_reserve_number(value: str, birth_date: date | None) -> PersonalId:
    """A regional reserve number for people without personnummer (e.g. LMA holders)."""
    raw = (value or "").strip().upper()
    if not _RESERVE.match(raw):
        raise errors.ReserveNumberFormat(fields={"personal_id": ["Fel format."]})
    return PersonalId(raw, IdKind.RESERVE, birth_date)


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_group(birth_date: date, day: date) -> AgeGroup:
    """Age group as in the national review: children 0-17, adults 18-64, 65+."""
    age = age_on(birth_date, day)
    if age < 18:
        return AgeGroup.CHILD
    if age < 65:
        return AgeGroup.ADULT
    return AgeGroup.ELDERLY


def format_personal_id(number: str) -> str:
    """Show 12-digit numbers as ÅÅÅÅMMDD-NNNN; reserve numbers as stored."""
    if len(number) == 12 and number.isdecimal():
        return f"{number[:8]}-{number[8:]}"
    return number


def luhn_check_digit(nine_digits: str) -> int:
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def synthetic_personnummer(
    birth_date: date, serial: int, *, coordination: bool = False
) -> str:
    """A checksum-valid 12-digit number for demo and test data (serials 98xx)."""
    day = birth_date.day + (60 if coordination else 0)
    body = f"{birth_date:%y%m}{day:02d}{serial:03d}"
    return f"{birth_date:%Y%m}{day:02d}{serial:03d}{luhn_check_digit(body)}"
