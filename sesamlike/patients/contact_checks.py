"""What a street, a city, a door code and a phone number may look like.

A parcel goes to the address as typed, and the courier's text message to the
number: "😀😀", "<i>x</i>" or "------" would be printed on a parcel that never
arrives, and saved as the patient's contact details (the portal walkthrough).
Letters of any language are letters (Åsa, Öregrund, Müller); digits are 0-9.
Each check returns the message to show, or None when the text will do.
"""

from __future__ import annotations

import re
import unicodedata

from sesamlike.common.i18n import N_

# What an address is written with, by Unicode category: letters (and the
# accents of decomposed ones), numbers ("10½"), spaces (a no-break space pasted
# from a letter) and punctuation ("S:t Göransgatan 3 B, lgh 1102", "12–14",
# 'Villa "Ekbacken"', door code "#1234*" or "1234/5678"). Not symbols (emoji,
# "<", ">", "™", "+") nor control characters: nothing a parcel label needs.
_WRITTEN = frozenset("LMNZP")
_WRITTEN_WITHOUT_NUMBERS = frozenset("LMZP")
_PHONE = re.compile(r"^\+?[0-9\s\-()]+$")
PHONE_MAX_LENGTH = 30  # as stored
PHONE_DIGITS = (6, 15)  # a Swedish number has 6-10; international up to 15

STREET_REFUSAL = N_("Skriv gatuadressen med bokstäver och siffror.")
CITY_REFUSAL = N_("Skriv orten med bokstäver.")
DOOR_CODE_REFUSAL = N_("Skriv portkoden med siffror och bokstäver.")
PHONE_FORMAT = N_("Skriv telefonnumret med siffror, till exempel 070-123 45 67.")
PHONE_TOO_SHORT = N_("Telefonnumret ska ha minst 6 siffror.")
PHONE_TOO_LONG = N_("Telefonnumret får ha högst 15 siffror.")


def _made_of(text: str, categories: frozenset[str] = _WRITTEN) -> bool:
    return all(unicodedata.category(char)[0] in categories for char in text)


def street_refusal(street: str | None) -> str | None:
    text = (street or "").strip()
    if not text:
        return None
    if not any(char.isalpha() for char in text) or not _made_of(text):
        return STREET_REFUSAL
    return None


def city_refusal(city: str | None) -> str | None:
    text = (city or "").strip()
    if not text:
        return None
    letters_only = _made_of(text, _WRITTEN_WITHOUT_NUMBERS)
    if sum(char.isalpha() for char in text) < 2 or not letters_only:
        return CITY_REFUSAL
    return None


def door_code_refusal(door_code: str | None) -> str | None:
    text = (door_code or "").strip()
    if text and not _made_of(text):
        return DOOR_CODE_REFUSAL
    return None


def phone_refusal(phone: str | None) -> str | None:
    text = (phone or "").strip()
    if not text:
        return None
    if not _PHONE.match(text):
        return PHONE_FORMAT
    digits = sum(char in "0123456789" for char in text)
    if digits < PHONE_DIGITS[0]:
        return PHONE_TOO_SHORT
    if digits > PHONE_DIGITS[1] or len(text) > PHONE_MAX_LENGTH:
        return PHONE_TOO_LONG
    return None
