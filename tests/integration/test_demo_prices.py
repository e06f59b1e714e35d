"""The demo catalogue's prices land where domain.md says (TLV's estimate)."""

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog.models import Article
from sesamlike.catalog.services import import_catalogue_text
from sesamlike.demo.costs import expected_annual_cost
from sesamlike.demo.setup import CATALOGUE
from sesamlike.extensions import db


def demo_articles():
    import_catalogue_text(CATALOGUE.read_text(encoding="utf-8"))
    query = sa.select(Article).options(selectinload(Article.systems))
    return db.session.scalars(query).all()


def test_minimed_640g_without_cgm_costs_about_30000_a_year_mostly_consumables():
    cost = expected_annual_cost(demo_articles(), "MiniMed 640G")

    assert Decimal(27_000) <= cost.total_sek <= Decimal(33_000)
    assert Decimal("0.70") <= cost.consumables_share <= Decimal("0.80")
    assert cost.device_sek == Decimal("7500.00")  # 30,000 SEK over 4 years


def test_the_demo_catalogue_imports_every_row():
    articles = demo_articles()

    names = {s.name for a in articles for s in a.systems}
    assert {"MiniMed 640G", "MiniMed 780G", "t:slim X2", "Omnipod DASH", "Omnipod 5",
            "Dexcom G6", "Dexcom G7", "FreeStyle Libre 2", "FreeStyle Libre 3",
            "Animas Vibe"} <= names  # fmt: skip
    animas = [a for a in articles if a.system_names == "Animas Vibe"]
    assert animas and all(a.valid_to and a.valid_to.year == 2018 for a in animas)
    assert any(not a.procured for a in articles if a.valid_to is None)
    pharmacy = [a for a in articles if a.channel == "pharmacy"]
    assert pharmacy and all(
        a.benefit and a.vat_rate == Decimal("0.25") for a in pharmacy
    )


def test_every_system_costs_less_than_a_pump_plus_cgm_would():
    articles = demo_articles()

    for system in ("MiniMed 780G", "t:slim X2", "Omnipod DASH", "Omnipod 5",
                   "Dexcom G6", "Dexcom G7", "FreeStyle Libre 2"):  # fmt: skip
        cost = expected_annual_cost(articles, system)
        assert Decimal(10_000) < cost.total_sek < Decimal(50_000), system
