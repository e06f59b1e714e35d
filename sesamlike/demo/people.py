"""Fictional Swedish people for the demo region: names, numbers and addresses.

Personnummer use the serials 980-999 that Skatteverket keeps for test numbers, so
no generated number belongs to a real person. Streets, towns and phone numbers are
made up; phone numbers use the 070-1740 series set aside for fiction (PTS).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sesamlike.orders.history import add_years
from sesamlike.patients.identity import IdKind, synthetic_personnummer

# First names by generation, so a child is not called Birgitta nor a grandfather Liam.
GIRLS = (
    "Alice", "Maja", "Elsa", "Astrid", "Wilma", "Freja", "Olivia", "Ebba", "Alma",
    "Selma", "Agnes", "Vera", "Saga", "Ella", "Stella", "Signe", "Ines", "Tyra",
    "Leila", "Amira", "Nora", "Lilly", "Elvira", "Juni",
)  # fmt: skip
BOYS = (
    "Lucas", "William", "Hugo", "Liam", "Noah", "Oliver", "Elias", "Adam", "Alexander",
    "Nils", "Theo", "Vincent", "Leo", "Melvin", "Arvid", "Ludvig", "Viggo", "Sixten",
    "Omar", "Yusuf", "Isak", "Malte", "Sam", "Otto",
)  # fmt: skip
WOMEN = (
    "Anna", "Sara", "Emma", "Johanna", "Linnéa", "Sofia", "Malin", "Hanna", "Jenny",
    "Maria", "Karin", "Kristina", "Lena", "Helena", "Camilla", "Aisha", "Fatima",
    "Eva", "Ingrid", "Birgitta", "Margareta", "Elisabeth", "Ulla", "Gunilla",
    "Marianne", "Kerstin", "Inger", "Barbro",
)  # fmt: skip
MEN = (
    "Johan", "Daniel", "Jonas", "Fredrik", "Henrik", "Mikael", "Andreas", "Ali",
    "Mehmet", "Erik", "Karl", "Anders", "Per", "Peter", "Magnus", "Mats", "Stefan",
    "Lars", "Jan", "Björn", "Göran", "Sven", "Bengt", "Lennart", "Kjell", "Rolf",
    "Bo", "Leif",
)  # fmt: skip
SURNAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Pettersson", "Jonsson", "Jansson",
    "Hansson", "Bengtsson", "Jönsson", "Lindberg", "Jakobsson", "Magnusson",
    "Lindström", "Olofsson", "Lindqvist", "Lindgren", "Berg", "Axelsson",
    "Bergström", "Lundberg", "Lind", "Lundgren", "Lundqvist", "Mattsson", "Berglund",
    "Fredriksson", "Sandberg", "Henriksson", "Forsberg", "Sjöberg", "Wallin",
    "Engström", "Eklund", "Danielsson", "Lundin", "Håkansson", "Björk", "Bergman",
    "Gunnarsson", "Holm", "Wikström", "Samuelsson", "Isaksson", "Fransson",
    "Bergqvist", "Nyström", "Holmberg", "Arvidsson", "Löfgren", "Söderberg",
    "Nyberg", "Blomqvist", "Claesson", "Mårtensson", "Ali", "Hassan", "Yilmaz",
)  # fmt: skip
STREETS = (
    "Storgatan", "Kyrkogatan", "Skolgatan", "Järnvägsgatan", "Drottninggatan",
    "Kungsgatan", "Parkvägen", "Björkvägen", "Granvägen", "Tallvägen", "Ekvägen",
    "Lönnvägen", "Sjövägen", "Ängsvägen", "Backvägen", "Torggatan", "Hamngatan",
    "Smedjegatan", "Prästgårdsvägen", "Mejerivägen", "Lärkvägen", "Klövervägen",
)  # fmt: skip
# Fictional towns of the fictional demo region, with fictional postal codes.
TOWNS = (
    ("Norrstad", "871"), ("Norrstad", "872"), ("Söderby", "881"), ("Söderby", "882"),
    ("Älvsjönäs", "873"), ("Granby", "883"), ("Bergsvik", "874"),
)  # fmt: skip
NORTH_TOWNS = frozenset({"Norrstad", "Älvsjönäs", "Bergsvik"})

TEST_SERIALS = range(980, 1000)
MAX_DAYS_BACK = 366 * 60


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    birth_date: date
    female: bool


@dataclass(frozen=True)
class Home:
    street: str
    postal_code: str
    city: str
    door_code: str | None

    @property
    def north(self) -> bool:
        return self.city in NORTH_TOWNS


def person(
    rng: random.Random,
    birth_date: date,
    last_name: str | None = None,
    *,
    not_named: str | None = None,
) -> Person:
    """A person born that day; first names follow the generation (born 1990 on:
    today's names; before: the parents' and grandparents' names, older ones last).
    """
    female = rng.random() < 0.5
    if birth_date.year >= 1990:
        names = GIRLS if female else BOYS
    else:
        names = WOMEN if female else MEN
        older = birth_date.year < 1965
        half = len(names) // 2
        names = names[half - 6 :] if older else names[: half + 6]
    first = rng.choice([n for n in names if n != not_named])
    return Person(first, last_name or rng.choice(SURNAMES), birth_date, female)


def birth_date_for_age(rng: random.Random, today: date, low: int, high: int) -> date:
    """A birth date giving an age from low to high (inclusive) today."""
    oldest = add_years(today, -high - 1) + timedelta(days=1)
    youngest = add_years(today, -low)
    return oldest + timedelta(days=rng.randrange((youngest - oldest).days + 1))


def home(rng: random.Random) -> Home:
    town, prefix = rng.choice(TOWNS)
    door = f"{rng.randrange(1000, 10000)}" if rng.random() < 0.55 else None
    street = f"{rng.choice(STREETS)} {rng.randrange(1, 80)}"
    if rng.random() < 0.2:
        street += f" lgh {rng.randrange(1001, 1403)}"
    return Home(street, f"{prefix}{rng.randrange(30, 99)}", town, door)


def phone(rng: random.Random) -> str:
    return f"070-174 06 {rng.randrange(5, 100):02d}"


def personal_number(
    rng: random.Random,
    birth_date: date,
    taken: set[str],
    *,
    coordination: bool,
    full: set[tuple[date, bool]] | None = None,
) -> str:
    """An unused test personnummer (or samordningsnummer) for this birth date.

    A day has only the 20 test serials (980-999): when they are all taken, an
    earlier day is used, never a later one (a birth date stays in the past).
    At 500,000 patients the working ages hold more people than their days have
    test numbers, so the walk may be long: `full` remembers the days found
    full (pass the same set for one region), and each is tried once.
    """
    full = set() if full is None else full
    day = birth_date
    for _attempt in range(MAX_DAYS_BACK):
        if (day, coordination) not in full:
            start = rng.randrange(len(TEST_SERIALS))
            for offset in range(len(TEST_SERIALS)):
                serial = TEST_SERIALS[(start + offset) % len(TEST_SERIALS)]
                number = synthetic_personnummer(day, serial, coordination=coordination)
                if number not in taken:
                    taken.add(number)
                    return number
            full.add((day, coordination))
        day -= timedelta(days=1)
    raise RuntimeError("no free test personnummer before " + birth_date.isoformat())


def id_kind_of(number: str) -> IdKind:
    if not number.isdecimal():
        return IdKind.RESERVE
    return IdKind.SAMORDNINGSNUMMER if int(number[6:8]) > 60 else IdKind.PERSONNUMMER


def ascii_name(text: str) -> str:
    """For usernames and e-mail addresses: å, ä, ö, é without their marks."""
    table = str.maketrans("åäöéÅÄÖÉ", "aaoeAAOE")
    return text.translate(table).lower()
