"""Expected cost of a system per patient-year from catalogue prices and expected use.

Used to check that the demo prices land where domain.md says (MiniMed 640G
without CGM: a little over 30,000 SEK, three quarters consumables). The device is
price / amortisation years; each consumable category counts its first-choice
article (lowest rank, procured, in contract) at units_per_day × 365, with VAT when
it goes through the pharmacy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sesamlike.catalog.models import DEVICE_CATEGORIES, Article, Channel
from sesamlike.common.time import region_today

DAYS = Decimal(365)
ORE = Decimal("0.01")


@dataclass(frozen=True)
class AnnualCost:
    device_sek: Decimal
    consumables_sek: Decimal

    @property
    def total_sek(self) -> Decimal:
        return self.device_sek + self.consumables_sek

    @property
    def consumables_share(self) -> Decimal:
        return self.consumables_sek / self.total_sek if self.total_sek else Decimal(0)


def expected_annual_cost(
    articles: Iterable[Article], system: str, day: date | None = None
) -> AnnualCost:
    """One patient-year on `system` alone (no CGM unless `system` is one)."""
    day = day or region_today()
    mine = [
        a
        for a in articles
        if system in {s.name for s in a.systems} and a.in_contract_on(day)
    ]
    device = Decimal(0)
    best: dict[str, Article] = {}
    for article in mine:
        if article.category in DEVICE_CATEGORIES:
            device += article.pack_price_sek / (article.amortisation_years or 1)
        elif article.units_per_day and article.procured:
            current = best.get(article.category)
            if current is None or _rank(article) < _rank(current):
                best[article.category] = article
    consumables = sum((_yearly(article) for article in best.values()), Decimal(0))
    return AnnualCost(_round(device), _round(consumables))


def _rank(article: Article) -> int:
    return article.first_choice_rank or 1_000


def _yearly(article: Article) -> Decimal:
    packs = article.units_per_day * DAYS / article.pack_size
    price = article.pack_price_sek
    if article.channel == Channel.PHARMACY:
        price *= 1 + article.vat_rate
    return packs * price


def _round(value: Decimal) -> Decimal:
    return value.quantize(ORE, rounding=ROUND_HALF_UP)
