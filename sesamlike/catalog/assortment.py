"""First choice inside a category for each system, and what a system consists of.

First choice is ranked inside a category *for each system* (domain.md): a sensor
that fits the patient's system is not a deviation because another system's
sensor is cheaper. An article is first choice when, in at least one of its
systems, no procured article of its category in contract ranks better. An
article tied to no system keeps the plain rule: rank 1 is first choice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog.models import (
    DEVICE_CATEGORIES,
    Article,
    Category,
    System,
    article_systems,
)
from sesamlike.catalog.services import in_contract_on, prescribable_articles
from sesamlike.common.collation import swedish
from sesamlike.extensions import db

# Categories a kit gives consumables in (accessories are added one by one).
KIT_CONSUMABLES = (
    Category.INFUSION_SET,
    Category.RESERVOIR,
    Category.POD,
    Category.BATTERY,
    Category.CGM_TRANSMITTER,
    Category.CGM_SENSOR,
)


def is_first_choice(article: Article, day: date) -> bool:
    """First choice in its category for at least one of its systems (or rank 1)."""
    return article.id in first_choice_among([article], day)


def first_choice_among(articles: Iterable[Article], day: date) -> set[int]:
    """Which of these articles are first choice on `day` (`is_first_choice`):
    one query for them all, none when each is rank 1 or unranked."""
    ranked = [
        article
        for article in articles
        if article.procured and article.first_choice_rank is not None
    ]
    chosen = {article.id for article in ranked if article.first_choice_rank == 1}
    others = [a for a in ranked if a.first_choice_rank != 1 and a.systems]
    if not others:
        return chosen
    # The best rank of each system's procured articles in contract, per category.
    best = {
        (system_id, category): rank
        for system_id, category, rank in db.session.execute(
            sa.select(
                article_systems.c.system_id,
                Article.category,
                sa.func.min(Article.first_choice_rank),
            )
            .join(Article, Article.id == article_systems.c.article_id)
            .where(
                article_systems.c.system_id.in_(
                    {system.id for article in others for system in article.systems}
                ),
                Article.category.in_({article.category for article in others}),
                Article.procured.is_(True),
                in_contract_on(day),
            )
            .group_by(article_systems.c.system_id, Article.category)
        )
    }
    for article in others:
        # First in a system where no article of the category ranks better.
        if any(
            best.get((system.id, article.category), article.first_choice_rank)
            >= article.first_choice_rank
            for system in article.systems
        ):
            chosen.add(article.id)
    return chosen


def first_choice_ids(articles: list[Article]) -> set[int]:
    """Which of these prescribable articles are first choice (one pass, no queries).

    `articles` must be every prescribable article of the day, systems loaded.
    """
    best: dict[tuple[int, str], int] = {}
    for article in articles:
        if article.procured and article.first_choice_rank is not None:
            for system in article.systems:
                key = (system.id, article.category)
                best[key] = min(best.get(key, article.first_choice_rank),
                                article.first_choice_rank)  # fmt: skip
    chosen = set()
    for article in articles:
        rank = article.first_choice_rank
        if not article.procured or rank is None:
            continue
        if rank == 1 or any(
            best.get((system.id, article.category)) == rank
            for system in article.systems
        ):
            chosen.add(article.id)
    return chosen


def system_by_name(name: str | None) -> System | None:
    name = (name or "").strip()
    if not name:
        return None
    return db.session.scalar(
        sa.select(System).where(sa.func.lower(System.name) == name.lower())
    )


def system_articles(system: System, day: date) -> dict[str, list[Article]]:
    """The system's prescribable articles per category, best first.

    Best first: rank (unranked last), then price, as the catalogue orders them;
    not procured last of all, so the head of each list is the kit's first choice.
    """
    grouped: dict[str, list[Article]] = defaultdict(list)
    for article in prescribable_articles(day, system_id=system.id):
        grouped[article.category].append(article)
    for articles in grouped.values():
        articles.sort(key=lambda a: (not a.procured,))  # stable: keeps rank order
    return dict(grouped)


def kit_categories(system: System, grouped: dict[str, list[Article]]) -> list[str]:
    """The device category (pump or reader) first, then the consumables in order."""
    devices = [c for c in (Category.PUMP, Category.CGM_READER) if c in grouped]
    return devices + [c for c in KIT_CONSUMABLES if c in grouped]


def is_device_category(category: str) -> bool:
    return category in DEVICE_CATEGORIES


def systems_for_kits() -> list[System]:
    """Every system with articles, pump systems first, then by name."""
    return list(
        db.session.scalars(
            sa.select(System)
            .where(System.articles.any())
            .options(selectinload(System.articles))
            .order_by(System.kind.desc(), swedish(System.name))
        )
    )
