"""Catalogue use cases: CSV import and export, search, and what may be prescribed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from sesamlike.catalog import csvio
from sesamlike.catalog.csvio import CatalogueInvalid
from sesamlike.catalog.models import (
    CGM_CATEGORIES,
    Article,
    Category,
    System,
    SystemKind,
)
from sesamlike.common.collation import swedish
from sesamlike.common.csvfiles import write_all_or_nothing
from sesamlike.common.i18n import N_
from sesamlike.common.paging import Page, page_count
from sesamlike.common.time import region_today
from sesamlike.extensions import db

PAGE_SIZE = 50
# A system holding any of these is a pump system; else one with CGM parts is CGM.
PUMP_SIDE_CATEGORIES = frozenset(
    {Category.PUMP, Category.INFUSION_SET, Category.RESERVOIR, Category.POD}
)


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    systems_created: int = 0


def system_kind(categories: Iterable[str]) -> str | None:
    """The kind a system's articles make it, or None when they do not tell."""
    present = set(categories)
    if present & PUMP_SIDE_CATEGORIES:
        return SystemKind.PUMP.value
    if present & CGM_CATEGORIES:
        return SystemKind.CGM.value
    return None


# What the follow-up reckons a delivered line's cost by, beside the price each
# line keeps: changed, it would rewrite costs already computed for past years.
RECKONED_BY = {
    "amortisation_years": N_(
        "Artikeln {article_no} har levererats, så avskrivningstiden kan inte "
        "ändras: det skulle ändra kostnader som redan är räknade. Lägg upp den "
        "som en ny artikel med ett eget artikelnummer."
    ),
    "category": N_(
        "Artikeln {article_no} har levererats, så kategorin kan inte ändras: det "
        "skulle ändra kostnader som redan är räknade. Lägg upp den som en ny "
        "artikel med ett eget artikelnummer."
    ),
    "serial_tracked": N_(
        "Artikeln {article_no} har levererats, så individmärkningen kan inte "
        "ändras: det skulle ändra kostnader som redan är räknade. Lägg upp den "
        "som en ny artikel med ett eget artikelnummer."
    ),
}
# Which of these articles have been delivered (the orders area, given at app
# start: it stands above this one).
_delivered: Callable[[set[int]], set[int]] | None = None


def register_delivered_articles(find: Callable[[set[int]], set[int]]) -> None:
    """`find(article ids)`: those of them with a delivered line."""
    global _delivered
    _delivered = find


def import_catalogue_text(text: str) -> ImportResult:
    """Upsert articles by article_no and systems by name; all rows or none."""
    parsed = csvio.parse_catalogue_csv(text)
    if not parsed.ok:
        raise CatalogueInvalid(parsed.problems)
    return write_all_or_nothing(lambda: _upsert(parsed.rows))


def _upsert(rows: list[csvio.ArticleRow]) -> ImportResult:
    articles = {
        a.article_no: a
        for a in db.session.scalars(
            sa.select(Article).options(selectinload(Article.systems))
        )
    }
    systems = {
        s.name: s
        for s in db.session.scalars(
            sa.select(System).options(selectinload(System.articles))
        )
    }
    new_systems: set[str] = set()
    touched: set[str] = set()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    reckoning: list[tuple[csvio.ArticleRow, Article, list[str]]] = []

    def systems_named(names: Sequence[str]) -> list[System]:
        for name in names:
            if name not in systems:
                systems[name] = System(name=name)
                new_systems.add(name)
        return [systems[name] for name in names]

    for row in rows:
        values = row.article_values()
        article = articles.get(row.article_no)
        if article is None:
            article = Article(**values)
            article.systems = systems_named(row.systems)
            db.session.add(article)
            touched.update(row.systems)
            counts["created"] += 1
            continue
        before = {s.name for s in article.systems}
        if before == set(row.systems) and all(
            getattr(article, key) == value for key, value in values.items()
        ):
            counts["unchanged"] += 1
            continue
        changed = [key for key in RECKONED_BY if getattr(article, key) != values[key]]
        if changed:
            reckoning.append((row, article, changed))
        for key, value in values.items():
            setattr(article, key, value)
        article.systems = systems_named(row.systems)
        touched.update(before | set(row.systems))
        counts["updated"] += 1

    _refuse_changes_of_delivered(reckoning)
    _derive_kinds(rows, [systems[name] for name in sorted(touched)], new_systems)
    return ImportResult(**counts, systems_created=len(new_systems))


def _refuse_changes_of_delivered(reckoning) -> None:
    """Rows that change what a delivered article's costs were reckoned by are
    refused, each change beside its column (nothing is imported)."""
    if not reckoning or _delivered is None:
        return
    delivered = _delivered({article.id for _row, article, _keys in reckoning})
    problems = []
    for row, article, keys in reckoning:
        if article.id not in delivered:
            continue
        errors = []
        for key in keys:
            error = csvio.FieldError(RECKONED_BY[key], article_no=row.article_no)
            error.column = key
            errors.append(error)
        problems.append(csvio.RowProblem(row.line, row.article_no, errors))
    if problems:
        raise CatalogueInvalid(problems)


def _derive_kinds(
    rows: list[csvio.ArticleRow], touched: list[System], new_names: set[str]
) -> None:
    """Set each touched system's kind from the articles it now holds."""
    undecided = []
    for system in touched:
        kind = system_kind(article.category for article in system.articles)
        if kind is not None:
            system.kind = kind
        elif system.name in new_names:
            undecided.append(system.name)
        # An existing system keeps its kind when its deciding articles left it.
    if undecided:
        raise CatalogueInvalid([_undecided(rows, name) for name in undecided])


def _undecided(rows: list[csvio.ArticleRow], name: str) -> csvio.RowProblem:
    first = next(row for row in rows if name in row.systems)
    error = csvio.FieldError(
        "Systemet «{name}» har varken pump- eller CGM-artiklar, så det går inte "
        "att avgöra om det är ett pump- eller CGM-system.",
        name=name,
    )
    error.column = "systems"
    return csvio.RowProblem(first.line, first.article_no, [error])


def export_catalogue_text() -> str:
    """The whole catalogue as CSV, sorted by article number."""
    articles = db.session.scalars(
        sa.select(Article).options(selectinload(Article.systems))
    ).all()
    # Sorted here, not in SQL, so the file is the same on every database collation.
    return csvio.write_catalogue_csv(sorted(articles, key=lambda a: a.article_no))


def _ordering() -> tuple:
    category_order = sa.case(
        {category.value: i for i, category in enumerate(Category)},
        value=Article.category,
        else_=len(Category),
    )
    return (
        category_order,
        Article.first_choice_rank.is_(None),
        Article.first_choice_rank,
        Article.name,
        Article.article_no,
    )


def in_contract_on(day: date) -> sa.ColumnElement[bool]:
    """Articles inside their contract period on `day` (a WHERE clause)."""
    return sa.and_(
        Article.valid_from <= day,
        sa.or_(Article.valid_to.is_(None), Article.valid_to >= day),
    )


def search_articles(
    text: str | None = None,
    system_id: int | None = None,
    category: str | None = None,
    include_phased_out: bool = False,
    day: date | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
) -> Page:
    """One page of articles matching name, article number or GTIN, system, category.

    Phased-out articles (valid_to before `day`) are left out unless asked for;
    articles whose contract has not started yet are shown.
    """
    day = day or region_today()
    conditions = []
    text = (text or "").strip()
    if text:
        conditions.append(
            sa.or_(
                Article.name.icontains(text, autoescape=True),
                Article.article_no.icontains(text, autoescape=True),
                Article.gtin == text,
            )
        )
    if system_id is not None:
        conditions.append(Article.systems.any(System.id == system_id))
    if category:
        conditions.append(Article.category == category)
    if not include_phased_out:
        conditions.append(sa.or_(Article.valid_to.is_(None), Article.valid_to >= day))
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(Article).where(*conditions)
    )
    pages = page_count(total, per_page)
    page = min(max(1, page), pages)
    items = db.session.scalars(
        sa.select(Article)
        .where(*conditions)
        .options(selectinload(Article.systems))
        .order_by(*_ordering())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), total=total, page=page, per_page=per_page)


def list_systems() -> list[System]:
    """Every system, pump systems first, then by name."""
    return list(
        db.session.scalars(
            sa.select(System).order_by(System.kind.desc(), swedish(System.name))
        )
    )


def is_prescribable(article: Article, day: date | None = None) -> bool:
    """Inside its contract period on `day`: neither phased out nor yet to start."""
    return article.in_contract_on(day or region_today())


def prescribable_articles(
    day: date | None = None,
    category: str | None = None,
    system_id: int | None = None,
) -> list[Article]:
    """Articles inside their contract period on `day`, systems loaded, best first."""
    conditions = [in_contract_on(day or region_today())]
    if category:
        conditions.append(Article.category == category)
    if system_id is not None:
        conditions.append(Article.systems.any(System.id == system_id))
    return list(
        db.session.scalars(
            sa.select(Article)
            .where(*conditions)
            .options(selectinload(Article.systems))
            .order_by(*_ordering())
        )
    )


def article_by_no(article_no: str) -> Article | None:
    return db.session.scalar(
        sa.select(Article)
        .where(Article.article_no == article_no)
        .options(selectinload(Article.systems))
    )
