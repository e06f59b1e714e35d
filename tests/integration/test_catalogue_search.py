"""Searching the catalogue and what may be prescribed on a given day."""

from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa

from sesamlike.catalog.services import (
    is_prescribable,
    prescribable_articles,
    search_articles,
)
from sesamlike.extensions import db
from tests.factories import make_article, make_system

TODAY = date(2025, 6, 1)


@contextmanager
def counting_queries():
    statements = []

    def count(conn, cursor, statement, *args):  # noqa: ARG001
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def numbers(page) -> list[str]:
    return [a.article_no for a in page.items]


def number_set(page) -> set[str]:
    return set(numbers(page))


def test_free_text_matches_name_article_number_and_gtin_case_insensitively():
    make_article("MMT-397", name="Quick-set 9 mm")
    make_article("ACC-1", name="Sil-serter", gtin="4006381333931")
    make_article("OMN-1", name="Omnipod DASH pod")
    assert numbers(search_articles("quick", day=TODAY)) == ["MMT-397"]
    assert numbers(search_articles("mmt-3", day=TODAY)) == ["MMT-397"]
    assert numbers(search_articles("4006381333931", day=TODAY)) == ["ACC-1"]
    assert number_set(search_articles("  ", day=TODAY)) == {"ACC-1", "MMT-397", "OMN-1"}


def test_like_wildcards_in_the_search_text_are_taken_literally():
    make_article("A-1", name="Set 100% latexfritt")
    make_article("A-2", name="Set 1000 st")
    assert numbers(search_articles("100%", day=TODAY)) == ["A-1"]
    assert numbers(search_articles("_", day=TODAY)) == []


def test_filters_by_system_and_category():
    minimed = make_system("MiniMed 780G")
    omnipod = make_system("Omnipod DASH")
    make_article("SET-1", systems=[minimed])
    make_article("RES-1", category="reservoir", systems=[minimed])
    make_article("POD-1", category="pod", systems=[omnipod])
    assert numbers(search_articles(system_id=minimed.id, day=TODAY)) == [
        "SET-1", "RES-1",
    ]  # fmt: skip
    assert numbers(search_articles(category="pod", day=TODAY)) == ["POD-1"]
    assert numbers(
        search_articles(system_id=minimed.id, category="reservoir", day=TODAY)
    ) == ["RES-1"]


def test_phased_out_articles_are_hidden_unless_asked_for():
    make_article("OLD", valid_to=date(2025, 5, 31))
    make_article("LAST-DAY", valid_to=TODAY)
    make_article("COMING", valid_from=date(2025, 7, 1))
    assert number_set(search_articles(day=TODAY)) == {"COMING", "LAST-DAY"}
    shown = number_set(search_articles(include_phased_out=True, day=TODAY))
    assert shown == {"COMING", "LAST-DAY", "OLD"}


def test_results_are_ordered_by_category_then_first_choice_then_name():
    make_article("S-2", name="B-set", first_choice_rank=2)
    make_article("S-X", name="A-set", first_choice_rank=None)
    make_article("S-1", name="C-set", first_choice_rank=1)
    make_article("P-1", name="Pump", category="pump", units_per_day=None,
                 amortisation_years=4)  # fmt: skip
    assert numbers(search_articles(day=TODAY)) == ["P-1", "S-1", "S-2", "S-X"]


def test_pages_hold_fifty_rows_and_systems_load_without_n_plus_one():
    system = make_system("MiniMed 780G")
    other = make_system("MiniMed 640G")
    for n in range(120):
        make_article(f"A{n:03d}", name=f"Set {n:03d}", systems=[system, other])
    db.session.expunge_all()
    with counting_queries() as statements:
        first = search_articles(day=TODAY)
        names = [s.name for a in first.items for s in a.systems]
    assert len(statements) == 3  # count, page, systems of the page
    assert len(first.items) == 50 and first.total == 120 and first.pages == 3
    assert set(names) == {"MiniMed 640G", "MiniMed 780G"}
    last = search_articles(day=TODAY, page=3)
    assert len(last.items) == 20 and last.has_prev and not last.has_next
    assert search_articles(day=TODAY, page=99).page == 3
    assert search_articles(day=TODAY, page=0).page == 1


def test_is_prescribable_inside_the_contract_period_only():
    article = make_article("A-1", valid_from=date(2025, 1, 1), valid_to=TODAY)
    assert is_prescribable(article, TODAY)
    assert is_prescribable(article, date(2025, 1, 1))
    assert not is_prescribable(article, date(2024, 12, 31))  # not yet valid
    assert not is_prescribable(article, date(2025, 6, 2))  # phased out (utgått)


def test_prescribable_articles_leave_out_phased_out_and_not_yet_valid():
    minimed = make_system("MiniMed 780G")
    make_article("NOW", systems=[minimed])
    make_article("OLD", valid_to=date(2025, 1, 1), systems=[minimed])
    make_article("COMING", valid_from=date(2025, 7, 1))
    make_article("RES", category="reservoir", systems=[minimed])
    assert [a.article_no for a in prescribable_articles(TODAY)] == ["NOW", "RES"]
    assert [
        a.article_no for a in prescribable_articles(TODAY, category="reservoir")
    ] == ["RES"]
    found = prescribable_articles(TODAY, system_id=minimed.id)
    assert [a.article_no for a in found] == ["NOW", "RES"]
    assert found[0].systems == [minimed]
