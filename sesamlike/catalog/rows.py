"""Check one catalogue CSV row against interfaces.md; pure, no database.

Every check runs, so a row reports all its problems at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from stdnum import ean

from sesamlike.catalog.models import DEVICE_CATEGORIES, Category, Channel
from sesamlike.common.csvfiles import FieldError, Row

COLUMNS = (
    "article_no", "name", "category", "systems", "gtin", "iso9999", "supplier",
    "pack_size", "pack_price_sek", "vat_rate", "procured", "first_choice_rank",
    "benefit", "channel", "serial_tracked", "units_per_day", "amortisation_years",
    "valid_from", "valid_to",
)  # fmt: skip
SYSTEM_SEPARATOR = "|"
# Column widths of catalog.models, checked here so a long value is a row error.
MAX_LENGTH = {"article_no": 40, "name": 200, "iso9999": 20, "supplier": 120}
MAX_SYSTEM_NAME = 80
MAX_PRICE = Decimal(10) ** 10  # Numeric(12, 2)


@dataclass(frozen=True)
class ArticleRow:
    """One valid catalogue row, typed."""

    line: int
    article_no: str
    name: str
    category: str
    systems: tuple[str, ...]
    gtin: str | None
    iso9999: str | None
    supplier: str
    pack_size: int
    pack_price_sek: Decimal
    vat_rate: Decimal
    procured: bool
    first_choice_rank: int | None
    benefit: bool
    channel: str
    serial_tracked: bool
    units_per_day: Decimal | None
    amortisation_years: int | None
    valid_from: date
    valid_to: date | None

    def article_values(self) -> dict[str, Any]:
        """The Article column values: everything but the line and the systems."""
        skip = {"line", "systems"}
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip
        }


def check_row(r: Row) -> ArticleRow | None:
    """The typed row, or None with every problem on `r` (in column order)."""
    category = r.choice("category", Category)
    systems = _systems(r, category)
    gtin = _gtin(r)
    price = r.decimal("pack_price_sek", places=2)
    if price is None and r.raw("pack_price_sek") == "":
        r.add("pack_price_sek", FieldError("Pris saknas."))
    elif price is not None and price >= MAX_PRICE:
        r.add(
            "pack_price_sek",
            FieldError(
                "Orimligt stort belopp «{value}».", value=r.raw("pack_price_sek")
            ),
        )
    vat_rate = r.decimal("vat_rate", places=4)
    if vat_rate is None and r.raw("vat_rate") == "":
        r.add("vat_rate", FieldError("Momssats saknas (t.ex. 0.25)."))
    elif vat_rate is not None and vat_rate > 1:
        r.add(
            "vat_rate",
            FieldError(
                "Momssatsen är en andel mellan 0 och 1 (t.ex. 0.25), inte «{value}».",
                value=r.raw("vat_rate"),
            ),
        )
    units = r.decimal("units_per_day", places=4)
    if units is not None and units == 0:
        r.add("units_per_day", FieldError("Ska vara större än noll eller tom."))
    if units is not None and units >= 10_000:
        r.add(
            "units_per_day",
            FieldError("Orimligt stort värde «{value}».", value=r.raw("units_per_day")),
        )
    years = r.integer("amortisation_years", required=False)
    raw_years = r.raw("amortisation_years")
    if category is not None and raw_years is not None:
        if category in DEVICE_CATEGORIES and not raw_years:
            r.add("amortisation_years", FieldError("Krävs för pumpar och CGM-läsare."))
        elif category not in DEVICE_CATEGORIES and raw_years:
            r.add(
                "amortisation_years",
                FieldError("Ska vara tom för annat än pumpar och CGM-läsare."),
            )
    if category in DEVICE_CATEGORIES and r.raw("units_per_day"):
        r.add(
            "units_per_day",
            FieldError(
                "Ska vara tom för pumpar och CGM-läsare; de "
                "skrivs av på amortisation_years."
            ),
        )
    valid_from = r.date("valid_from", required=True)
    valid_to = r.date("valid_to", required=False)
    if valid_from and valid_to and valid_to < valid_from:
        r.add(
            "valid_to",
            FieldError(
                "Avtalet kan inte sluta ({valid_to}) före det börjar ({valid_from}).",
                valid_to=valid_to.isoformat(),
                valid_from=valid_from.isoformat(),
            ),
        )
    row_values = dict(
        article_no=r.text("article_no", MAX_LENGTH["article_no"]),
        name=r.text("name", MAX_LENGTH["name"]),
        category=category,
        systems=systems,
        gtin=gtin,
        iso9999=r.text("iso9999", MAX_LENGTH["iso9999"], required=False),
        supplier=r.text("supplier", MAX_LENGTH["supplier"]),
        pack_size=r.integer("pack_size", required=True),
        pack_price_sek=price,
        vat_rate=vat_rate,
        procured=r.yes_no("procured"),
        first_choice_rank=r.integer("first_choice_rank", required=False),
        benefit=r.yes_no("benefit"),
        channel=r.choice("channel", Channel),
        serial_tracked=r.yes_no("serial_tracked"),
        units_per_day=units,
        amortisation_years=years,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    _check_channel(r, row_values)
    if r.errors:
        order = {name: i for i, name in enumerate(COLUMNS)}
        r.errors.sort(key=lambda e: order.get(e.column, -1))
        return None
    return ArticleRow(line=r.line, **row_values)


def _check_channel(r: Row, values: dict[str, Any]) -> None:
    """What the money rules need of channel, benefit and devices: VAT is paid
    only on benefit consumables dispensed at a pharmacy, and a lent device is
    serial-tracked and amortised."""
    channel, category = values["channel"], values["category"]
    if channel == Channel.PHARMACY and values["amortisation_years"]:
        r.add(
            "channel",
            FieldError(
                "Ett hjälpmedel som skrivs av (amortisation_years) lämnas inte ut "
                "på apotek."
            ),
        )
    if channel == Channel.PHARMACY and values["benefit"] is False:
        r.add(
            "benefit",
            FieldError("Kanalen apotek gäller bara artiklar i läkemedelsförmånen."),
        )
    if category in (Category.PUMP, Category.CGM_READER) and (
        values["serial_tracked"] is False
    ):
        r.add(
            "serial_tracked",
            FieldError("Pumpar och CGM-läsare är individmärkta (yes)."),
        )


def _systems(r: Row, category: str | None) -> tuple[str, ...] | None:
    value = r.raw("systems")
    if value is None:
        return None
    names = [name.strip() for name in value.split(SYSTEM_SEPARATOR)] if value else []
    if any(not name for name in names):
        r.add(
            "systems",
            FieldError(
                "Tomt systemnamn i «{value}»; skilj namnen åt med |.", value=value
            ),
        )
        return None
    for name in names:
        if len(name) > MAX_SYSTEM_NAME:
            r.add(
                "systems",
                FieldError(
                    "Systemnamnet «{name}» är längre än {n} tecken.",
                    name=name,
                    n=MAX_SYSTEM_NAME,
                ),
            )
    for name in sorted({n for n in names if names.count(n) > 1}):
        r.add("systems", FieldError("Systemet «{name}» står flera gånger.", name=name))
    if category == Category.PUMP and len(names) != 1:
        r.add(
            "systems",
            FieldError(
                "En pump hör till exakt ett system, inte {count}.", count=len(names)
            ),
        )
    return tuple(names)


def _gtin(r: Row) -> str | None:
    value = r.raw("gtin")
    if not value:
        return None
    if not value.isdecimal() or len(value) not in (8, 12, 13, 14):
        r.add(
            "gtin",
            FieldError(
                "GTIN ska ha 8, 12, 13 eller 14 siffror, inte «{value}».", value=value
            ),
        )
        return None
    if not ean.is_valid(value):
        r.add("gtin", FieldError("Fel kontrollsiffra i GTIN {value}.", value=value))
        return None
    return value
