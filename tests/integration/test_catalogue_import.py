"""Catalogue import and export against the database: upsert, all-or-nothing, kinds."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.catalog.models import Article, System
from sesamlike.catalog.services import (
    CatalogueInvalid,
    ImportResult,
    export_catalogue_text,
    import_catalogue_text,
)
from sesamlike.extensions import db
from tests.factories import catalogue_csv, catalogue_row, make_article, make_system


def minimed_file(**set_changes) -> str:
    return catalogue_csv(
        catalogue_row("MMT-1780", name="MiniMed 780G", category="pump",
                      pack_size=1, pack_price_sek="30000.00", channel="supplier"),
        catalogue_row("MMT-397", **{"name": "Quick-set",
                                    "systems": "MiniMed 640G|MiniMed 780G",
                                    **set_changes}),
        catalogue_row("MMT-332", name="Reservoar 3 ml", category="reservoir",
                      units_per_day="0.3333"),
        catalogue_row("DEX-G7", name="Dexcom G7 sensor", category="cgm_sensor",
                      systems="Dexcom G7", units_per_day="0.1", channel="pharmacy"),
    )  # fmt: skip


def articles() -> dict[str, Article]:
    return {a.article_no: a for a in db.session.scalars(sa.select(Article))}


def systems() -> dict[str, str]:
    return {s.name: s.kind for s in db.session.scalars(sa.select(System))}


def test_import_creates_articles_and_their_systems():
    result = import_catalogue_text(minimed_file())
    assert result == ImportResult(created=4, updated=0, unchanged=0, systems_created=3)
    stored = articles()
    assert set(stored) == {"MMT-1780", "MMT-397", "MMT-332", "DEX-G7"}
    quick_set = stored["MMT-397"]
    assert quick_set.pack_price_sek == Decimal("900.00")
    assert quick_set.units_per_day == Decimal("0.3333")
    assert quick_set.system_names == "MiniMed 640G|MiniMed 780G"
    assert stored["MMT-1780"].amortisation_years == 4
    assert stored["MMT-1780"].is_device


def test_system_kind_follows_the_articles_it_holds():
    make_system("Omnipod DASH", kind="cgm")  # wrongly kept as cgm before
    import_catalogue_text(
        catalogue_csv(
            catalogue_row("POD-1", category="pod", systems="Omnipod DASH"),
            catalogue_row("LIB-3", category="cgm_sensor", systems="FreeStyle Libre 3"),
            catalogue_row("LIB-R", category="cgm_reader", systems="FreeStyle Libre 3"),
            catalogue_row("BAT-AA", category="battery", systems="MiniMed 640G"),
            catalogue_row("MMT-1640", category="pump", systems="MiniMed 640G"),
        )
    )
    assert systems() == {
        "Omnipod DASH": "pump",
        "FreeStyle Libre 3": "cgm",
        "MiniMed 640G": "pump",
    }


def test_a_new_system_with_neither_pump_nor_cgm_articles_is_refused():
    with pytest.raises(CatalogueInvalid) as raised:
        import_catalogue_text(
            catalogue_csv(
                catalogue_row("POD-1", category="pod", systems="Omnipod DASH"),
                catalogue_row("CLIP-1", category="accessory", systems="Bältesklämma"),
            )
        )
    assert raised.value.rows == [
        (3, ["Systemet «Bältesklämma» har varken pump- eller CGM-artiklar, så det "
             "går inte att avgöra om det är ett pump- eller CGM-system."])
    ]  # fmt: skip
    assert articles() == {} and systems() == {}


def test_an_accessory_may_join_an_existing_system():
    make_system("MiniMed 780G", kind="pump")
    import_catalogue_text(catalogue_csv(catalogue_row("CLIP-1", category="accessory")))
    assert articles()["CLIP-1"].system_names == "MiniMed 780G"
    assert systems() == {"MiniMed 780G": "pump"}


def test_importing_again_updates_changed_rows_and_leaves_the_rest():
    import_catalogue_text(minimed_file())
    result = import_catalogue_text(
        minimed_file(pack_price_sek="950.50", systems="MiniMed 780G")
    )
    assert result == ImportResult(created=0, updated=1, unchanged=3, systems_created=0)
    quick_set = articles()["MMT-397"]
    assert quick_set.pack_price_sek == Decimal("950.50")
    assert quick_set.system_names == "MiniMed 780G"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Article)) == 4


def test_articles_missing_from_the_file_are_kept():
    make_article("OLD-1", name="Gammalt set")
    import_catalogue_text(minimed_file())
    assert "OLD-1" in articles()


def test_an_invalid_row_imports_nothing_and_names_every_bad_line():
    import_catalogue_text(minimed_file())
    text = catalogue_csv(
        catalogue_row("MMT-397", pack_price_sek="1.00"),  # valid change
        catalogue_row("NEW-1", systems="Helt nytt system"),  # valid addition
        catalogue_row("BAD-1", category="needle"),
        catalogue_row("BAD-2", gtin="4006381333932", channel="post"),
    )
    with pytest.raises(CatalogueInvalid) as raised:
        import_catalogue_text(text)
    error = raised.value
    assert error.code == "catalogue_invalid" and error.status == 422
    assert str(error) == "Katalogfilen har fel på 2 rader; inget importerades."
    assert [line for line, _messages in error.rows] == [4, 5]
    assert len(error.rows[1][1]) == 2
    db.session.expire_all()
    stored = articles()
    assert set(stored) == {"MMT-1780", "MMT-397", "MMT-332", "DEX-G7"}
    assert stored["MMT-397"].pack_price_sek == Decimal("900.00")
    assert "Helt nytt system" not in systems()


def test_export_is_sorted_by_article_number_and_round_trips_unchanged():
    import_catalogue_text(minimed_file())
    make_article("AAA-1", name='Set, "mjukt"', gtin="96385074",
                 systems=[make_system("Tandem t:slim X2")])  # fmt: skip
    exported = export_catalogue_text()
    numbers = [line.split(",")[0] for line in exported.splitlines()[1:]]
    assert numbers == sorted(numbers) == [
        "AAA-1", "DEX-G7", "MMT-1780", "MMT-332", "MMT-397",
    ]  # fmt: skip
    before = {no: (a.pack_price_sek, a.system_names) for no, a in articles().items()}
    result = import_catalogue_text(exported)
    assert result == ImportResult(created=0, updated=0, unchanged=5, systems_created=0)
    db.session.expire_all()
    after = {no: (a.pack_price_sek, a.system_names) for no, a in articles().items()}
    assert after == before
    assert export_catalogue_text() == exported


def test_export_of_an_empty_catalogue_is_just_the_header():
    assert export_catalogue_text().splitlines() == [",".join(catalogue_row("X").keys())]


def test_export_neutralises_formulas_and_the_import_reads_them_back_unchanged():
    make_article(
        "AAA-1",
        name='=HYPERLINK("http://evil.example","Set")',
        supplier="@Medtronic",
        systems=[make_system("MiniMed 780G")],
    )
    exported = export_catalogue_text()
    line = exported.splitlines()[1]
    assert line.startswith('AAA-1,"\'=HYPERLINK(""http://evil.example"",')
    assert ",'@Medtronic," in line
    result = import_catalogue_text(exported)
    assert result == ImportResult(created=0, updated=0, unchanged=1, systems_created=0)
    stored = articles()["AAA-1"]
    assert stored.name == '=HYPERLINK("http://evil.example","Set")'
    assert stored.supplier == "@Medtronic"
