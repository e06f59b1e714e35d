"""`flask catalogue import FILE` and `flask catalogue export FILE` (interfaces.md)."""

import sqlalchemy as sa

from sesamlike.catalog.models import Article, System
from sesamlike.extensions import db
from tests.factories import catalogue_csv, catalogue_row, make_article


def article_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Article))


def write(tmp_path, text: str, name: str = "catalogue.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_upserts_and_prints_the_counts(runner, tmp_path):
    make_article("MMT-397", name="Quick-set")
    path = write(
        tmp_path,
        catalogue_csv(
            catalogue_row("MMT-397", name="Quick-set 9 mm"),
            catalogue_row("MMT-1780", name="MiniMed 780G", category="pump"),
        ),
    )
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 created, 1 updated, 0 unchanged; new systems: 1." in result.output
    assert article_count() == 2
    assert db.session.scalar(sa.select(System.kind)) == "pump"

    again = runner.invoke(args=["catalogue", "import", str(path)])
    assert again.exit_code == 0
    assert "0 created, 0 updated, 2 unchanged" in again.output


def test_bad_rows_are_printed_with_line_numbers_and_nothing_is_imported(
    runner, tmp_path
):
    path = write(
        tmp_path,
        catalogue_csv(
            catalogue_row("OK-1"),
            catalogue_row("BAD-1", category="needle"),
            catalogue_row("OK-2"),
            catalogue_row("BAD-2", gtin="4006381333932", channel="post"),
            catalogue_row("OK-1", name="Dubblett"),
        ),
    )
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 1
    output = result.output
    assert "Katalogfilen har fel på 3 rader; inget importerades." in output
    assert "rad 3: category: Okänt värde «needle»" in output
    assert "rad 5: gtin: Fel kontrollsiffra i GTIN 4006381333932." in output
    assert "rad 5: channel: Okänt värde «post»" in output
    assert "rad 6: article_no: Artikelnumret OK-1 finns redan på rad 2." in output
    assert "rad 2:" not in output and "rad 4:" not in output
    assert article_count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(System)) == 0


def test_a_missing_column_fails_on_line_1(runner, tmp_path):
    text = catalogue_csv(catalogue_row("OK-1")).replace("iso9999,", "", 1)
    text = text.replace(",,Leverantör AB", ",Leverantör AB", 1)
    result = runner.invoke(args=["catalogue", "import", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert "rad 1: Kolumnen iso9999 saknas." in result.output
    assert article_count() == 0


def test_a_file_that_is_not_utf8_is_refused(runner, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(catalogue_csv(catalogue_row("Ö-1")).encode("latin-1"))
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 1
    assert "inte UTF-8" in result.output
    assert article_count() == 0


def test_a_file_from_swedish_excel_in_windows_1252_names_the_line_to_mend(
    runner, tmp_path
):
    """The message was "filen är inte UTF-8 (byte 1846)": no one finds a byte in
    Excel, and Swedish Excel's «CSV (semikolonavgränsad)» is Windows-1252."""
    text = catalogue_csv(catalogue_row("Ö-1"))  # supplier "Leverantör AB"
    path = tmp_path / "excel.csv"
    path.write_bytes(text.replace(",", ";").encode("cp1252"))
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 1
    assert (
        "rad 2: Filen är inte UTF-8: tecknet «Ö» går inte att läsa. Spara filen i "
        "Excel som «CSV UTF-8 (kommaavgränsad)» och läs in den igen."
    ) in result.output
    assert "inget importerades" in result.output
    assert article_count() == 0


def test_a_missing_file_is_a_usage_error(runner, tmp_path):
    result = runner.invoke(args=["catalogue", "import", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert article_count() == 0


def test_export_writes_a_file_that_imports_unchanged(runner, tmp_path):
    source = write(
        tmp_path,
        catalogue_csv(
            catalogue_row("B-2", name="Set, 6 mm", gtin="96385074"),
            catalogue_row("A-1", name="MiniMed 780G", category="pump"),
        ),
        "in.csv",
    )
    assert runner.invoke(args=["catalogue", "import", str(source)]).exit_code == 0
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["catalogue", "export", str(out)])
    assert result.exit_code == 0
    assert f"Exported the catalogue to {out}." in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(catalogue_row("X"))
    assert [line.split(",")[0] for line in lines[1:]] == ["A-1", "B-2"]
    again = runner.invoke(args=["catalogue", "import", str(out)])
    assert "0 created, 0 updated, 2 unchanged" in again.output


def test_export_to_a_missing_folder_is_a_usage_error(runner, tmp_path):
    make_article("A-1", name="Quick-set")
    result = runner.invoke(args=["catalogue", "export", str(tmp_path / "x" / "a.csv")])
    assert result.exit_code == 2
    assert "finns inte; inget skrevs." in result.output
    assert not (tmp_path / "x").exists()


def test_export_to_standard_output(runner):
    make_article("A-1", name="Quick-set")
    result = runner.invoke(args=["catalogue", "export", "-"])
    assert result.exit_code == 0
    assert result.output.splitlines()[1].startswith("A-1,Quick-set,infusion_set,")


def test_rows_the_money_rules_cannot_cost_are_refused(runner, tmp_path):
    """A pump through a pharmacy would be costed with VAT; a pharmacy article
    outside the benefit scheme is not dispensed there; a pump or reader that is
    not serial-tracked or not amortised cannot be lent and costed per day."""
    path = write(
        tmp_path,
        catalogue_csv(
            catalogue_row("OK-1"),
            catalogue_row("PUMP-1", category="pump", channel="pharmacy"),
            catalogue_row("SET-1", channel="pharmacy", benefit="no"),
            catalogue_row("PUMP-2", category="pump", serial_tracked="no"),
            catalogue_row("READ-1", category="cgm_reader", amortisation_years=""),
            catalogue_row("SET-2", channel="pharmacy", benefit="yes"),
        ),
    )
    result = runner.invoke(args=["catalogue", "import", str(path)])
    assert result.exit_code == 1
    output = result.output
    assert "Katalogfilen har fel på 4 rader; inget importerades." in output
    assert "rad 3: channel: " in output
    assert "rad 4: benefit: " in output
    assert "rad 5: serial_tracked: " in output
    assert "rad 6: amortisation_years: " in output
    assert "rad 2:" not in output and "rad 7:" not in output
    assert article_count() == 0


def test_an_article_already_delivered_keeps_what_its_costs_were_reckoned_by(
    runner, tmp_path
):
    """The bad-input review: a catalogue row changing a delivered pump's
    amortisation from 4 to 8 years rewrote 17 patients' stored costs of
    earlier years at the next full run (the region's device cost 323,398.60
    to 261,004.76 kr). Its amortisation, category and serial tracking are
    refused once it has been delivered; its price, name and contract dates
    are not (each line keeps the price it was delivered at)."""
    from datetime import date

    from tests.factories import (
        make_clinic,
        make_delivery,
        make_patient,
        make_prescription,
    )

    pump_row = catalogue_row("A-1", name="MiniMed 780G", category="pump",
                             pack_price_sek="30000.00", channel="central",
                             units_per_day="", benefit="no")  # fmt: skip
    sets_row = catalogue_row("B-2", name="Set, 6 mm")
    spare_row = catalogue_row("C-3", name="Set, 9 mm")
    first = write(tmp_path, catalogue_csv(pump_row, sets_row, spare_row), "first.csv")
    assert runner.invoke(args=["catalogue", "import", str(first)]).exit_code == 0
    patient = make_patient(make_clinic())
    for article_no in ("A-1", "B-2"):
        article = db.session.scalar(
            sa.select(Article).where(Article.article_no == article_no)
        )
        make_delivery(patient, make_prescription(patient, article),
                      date(2025, 3, 1), packs=1)  # fmt: skip

    changed = write(tmp_path, catalogue_csv(
        {**pump_row, "amortisation_years": "8"},
        {**sets_row, "category": "reservoir"},
        {**spare_row, "category": "reservoir"},
    ), "changed.csv")  # fmt: skip
    result = runner.invoke(args=["catalogue", "import", str(changed)])

    assert result.exit_code == 1
    assert ("rad 2: amortisation_years: Artikeln A-1 har levererats, så "
            "avskrivningstiden kan inte ändras") in result.output  # fmt: skip
    assert ("rad 3: category: Artikeln B-2 har levererats, så kategorin kan "
            "inte ändras") in result.output  # fmt: skip
    assert "rad 4" not in result.output  # never delivered: its category may change
    db.session.expire_all()
    pump = db.session.scalar(sa.select(Article).where(Article.article_no == "A-1"))
    assert pump.amortisation_years == 4
    cheaper = write(tmp_path, catalogue_csv(
        {**pump_row, "pack_price_sek": "28000.00", "name": "MiniMed 780G (ny)"},
        sets_row, {**spare_row, "category": "reservoir"},
    ), "cheaper.csv")  # fmt: skip
    assert runner.invoke(args=["catalogue", "import", str(cheaper)]).exit_code == 0
