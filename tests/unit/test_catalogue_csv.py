"""The catalogue CSV of interfaces.md: every rule, with the line it is reported on."""

from datetime import date
from decimal import Decimal

import pytest

from sesamlike.catalog.csvio import (
    COLUMNS,
    parse_catalogue_csv,
    write_catalogue_csv,
)

INFUSION_SET = {
    "article_no": "MMT-397",
    "name": "Quick-set 9 mm",
    "category": "infusion_set",
    "systems": "MiniMed 640G|MiniMed 780G",
    "gtin": "4006381333931",
    "iso9999": "04 19 24",
    "supplier": "Medtronic AB",
    "pack_size": "10",
    "pack_price_sek": "1250.50",
    "vat_rate": "0.25",
    "procured": "yes",
    "first_choice_rank": "1",
    "benefit": "yes",
    "channel": "central",
    "serial_tracked": "no",
    "units_per_day": "0.3333",
    "amortisation_years": "",
    "valid_from": "2024-01-01",
    "valid_to": "2026-12-31",
}
PUMP = {
    **INFUSION_SET,
    "article_no": "MMT-1780",
    "name": "MiniMed 780G",
    "category": "pump",
    "systems": "MiniMed 780G",
    "gtin": "",
    "pack_size": "1",
    "pack_price_sek": "30000.00",
    "benefit": "no",
    "channel": "supplier",
    "serial_tracked": "yes",
    "units_per_day": "",
    "amortisation_years": "4",
    "valid_to": "",
}


def csv_text(*rows: dict, columns=COLUMNS) -> str:
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(row.get(column, "") for column in columns))
    return "\n".join(lines) + "\n"


def problems_of(text: str) -> dict[int, list[str]]:
    """{line: ['column: message', ...]} for every reported problem."""
    parsed = parse_catalogue_csv(text)
    return {
        p.line: [f"{e.column}: {e}" if e.column else str(e) for e in p.errors]
        for p in parsed.problems
    }


def single_problem(**changes) -> list[str]:
    """The messages for the second data row (line 3) after applying changes."""
    problems = problems_of(csv_text(PUMP, {**INFUSION_SET, **changes}))
    assert list(problems) == [3], problems
    return problems[3]


def test_a_valid_file_gives_typed_rows():
    parsed = parse_catalogue_csv(csv_text(PUMP, INFUSION_SET))
    assert parsed.ok and parsed.problems == []
    pump, sets = parsed.rows
    assert (pump.line, sets.line) == (2, 3)
    assert pump.amortisation_years == 4 and pump.units_per_day is None
    assert pump.systems == ("MiniMed 780G",)
    assert sets.systems == ("MiniMed 640G", "MiniMed 780G")
    assert sets.pack_price_sek == Decimal("1250.50")
    assert isinstance(sets.pack_price_sek, Decimal)
    assert sets.vat_rate == Decimal("0.25")
    assert sets.units_per_day == Decimal("0.3333")
    assert (sets.procured, sets.benefit, sets.serial_tracked) == (True, True, False)
    assert sets.valid_from == date(2024, 1, 1) and sets.valid_to == date(2026, 12, 31)
    assert pump.valid_to is None and pump.gtin is None


def test_columns_may_come_in_any_order():
    columns = tuple(reversed(COLUMNS))
    parsed = parse_catalogue_csv(csv_text(PUMP, columns=columns))
    assert parsed.ok
    assert parsed.rows[0].article_no == "MMT-1780"


def test_utf8_bom_windows_line_ends_and_blank_lines_are_accepted():
    text = "\ufeff" + csv_text(PUMP, INFUSION_SET).replace("\n", "\r\n") + "\r\n,,,\r\n"
    text = text.replace(",,,\r\n", ",," * 9 + ",\r\n")
    parsed = parse_catalogue_csv(text)
    assert parsed.ok, parsed.problems
    assert len(parsed.rows) == 2


def test_a_missing_column_is_named_on_line_1():
    columns = tuple(c for c in COLUMNS if c != "channel")
    problems = problems_of(csv_text(PUMP, columns=columns))
    assert problems[1] == ["Kolumnen channel saknas."]
    assert parse_catalogue_csv(csv_text(PUMP, columns=columns)).rows == []


def test_an_unknown_column_is_named_on_line_1():
    problems = problems_of(csv_text(PUMP, columns=(*COLUMNS, "colour")))
    assert problems == {1: ["Okänd kolumn: colour."]}


def test_a_repeated_column_is_an_error():
    problems = problems_of(csv_text(PUMP, columns=(*COLUMNS, "name")))
    assert problems[1] == ["Kolumnen name finns två gånger."]


def test_header_problems_do_not_hide_row_problems():
    columns = tuple(c for c in COLUMNS if c != "gtin")
    problems = problems_of(csv_text({**PUMP, "category": "pumpx"}, columns=columns))
    assert problems[1] == ["Kolumnen gtin saknas."]
    assert problems[2][0].startswith("category: Okänt värde «pumpx»")


def test_an_empty_file_is_an_error():
    assert problems_of("") == {1: ["Filen är tom: den ska börja med en rubrikrad."]}


def test_a_header_only_file_has_no_rows_and_no_problems():
    parsed = parse_catalogue_csv(csv_text())
    assert parsed.ok and parsed.rows == []


def test_a_row_with_the_wrong_number_of_fields_is_reported():
    text = csv_text(PUMP) + "X1,too,short\n"
    assert problems_of(text) == {3: ["Raden har 3 fält men rubriken har 19."]}


def test_line_numbers_count_physical_lines_of_quoted_newlines():
    text = csv_text(PUMP).replace("MMT-1780,MiniMed 780G", 'MMT-1780,"MiniMed\n780G"')
    bad = {**INFUSION_SET, "channel": "post"}
    text += ",".join(bad[c] for c in COLUMNS) + "\n"
    assert list(problems_of(text)) == [4]
    assert parse_catalogue_csv(text).problems[0].article_no == "MMT-397"


def test_an_unterminated_quote_is_reported_not_swallowed():
    text = csv_text(PUMP) + '"MMT-9,broken\n'
    problems = problems_of(text)
    assert list(problems) == [3]
    assert "går inte att läsa som CSV" in problems[3][0]


@pytest.mark.parametrize("column", ["article_no", "name", "supplier"])
def test_required_text_is_required(column):
    assert single_problem(**{column: ""}) == [f"{column}: Värde saknas."]


def test_too_long_values_are_refused():
    messages = single_problem(article_no="A" * 41)
    assert messages == ["article_no: Högst 40 tecken."]


def test_a_duplicate_article_number_is_reported_on_the_later_line():
    problems = problems_of(csv_text(PUMP, INFUSION_SET, {**PUMP, "name": "Kopia"}))
    assert problems == {4: ["article_no: Artikelnumret MMT-1780 finns redan på rad 2."]}


def test_an_unknown_category_is_reported_with_the_allowed_values():
    (message,) = single_problem(category="needle")
    assert message.startswith("category: Okänt värde «needle»; tillåtna: pump, ")
    assert "accessory" in message


def test_an_unknown_channel_is_reported():
    assert single_problem(channel="post") == [
        "channel: Okänt värde «post»; tillåtna: central, supplier, pharmacy."
    ]


def test_systems_split_on_pipe_and_refuse_empty_names():
    assert single_problem(systems="MiniMed 640G||Omnipod") == [
        "systems: Tomt systemnamn i «MiniMed 640G||Omnipod»; skilj namnen åt med |."
    ]


def test_a_system_named_twice_is_an_error():
    assert single_problem(systems="Omnipod|Omnipod") == [
        "systems: Systemet «Omnipod» står flera gånger."
    ]


def test_a_consumable_may_belong_to_no_system():
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "systems": ""}))
    assert parsed.ok and parsed.rows[0].systems == ()


@pytest.mark.parametrize("systems, count", [("", 0), ("MiniMed 640G|MiniMed 780G", 2)])
def test_a_pump_belongs_to_exactly_one_system(systems, count):
    problems = problems_of(csv_text({**PUMP, "systems": systems}))
    assert problems == {
        2: [f"systems: En pump hör till exakt ett system, inte {count}."]
    }


@pytest.mark.parametrize(
    "gtin", ["96385074", "036000291452", "4006381333931", "10012345678902"]
)
def test_gtin_8_12_13_and_14_with_right_check_digit_are_accepted(gtin):
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "gtin": gtin}))
    assert parsed.ok and parsed.rows[0].gtin == gtin


def test_a_gtin_with_a_wrong_check_digit_is_refused():
    assert single_problem(gtin="4006381333932") == [
        "gtin: Fel kontrollsiffra i GTIN 4006381333932."
    ]


@pytest.mark.parametrize("gtin", ["12345", "400638133393X", "400638-133393"])
def test_a_gtin_of_the_wrong_shape_is_refused(gtin):
    (message,) = single_problem(gtin=gtin)
    assert message.startswith("gtin: GTIN ska ha 8, 12, 13 eller 14 siffror")


@pytest.mark.parametrize("value", ["0", "-1", "1.5", "ten", ""])
def test_pack_size_is_a_positive_integer(value):
    (message,) = single_problem(pack_size=value)
    assert message.startswith("pack_size: ")


@pytest.mark.parametrize("value", ["0", "12", "12.5", "1250.50"])
def test_prices_with_at_most_two_decimals_are_accepted(value):
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "pack_price_sek": value}))
    assert parsed.rows[0].pack_price_sek == Decimal(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("12.505", "pack_price_sek: Högst 2 decimaler, inte «12.505»."),
        ("-5", "pack_price_sek: Ogiltigt tal «-5»."),
        ("1e3", "pack_price_sek: Ogiltigt tal «1e3»."),
        ("NaN", "pack_price_sek: Ogiltigt tal «NaN»."),
        (
            "1250,50",
            "pack_price_sek: Ogiltigt tal «1250,50»: använd punkt som decimaltecken.",
        ),
        ("", "pack_price_sek: Pris saknas."),
        ("99999999999", "pack_price_sek: Orimligt stort belopp «99999999999»."),
    ],
)
def test_bad_prices_are_refused(value, expected):
    # A decimal comma needs quoting to stay one field.
    quoted = f'"{value}"' if "," in value else value
    assert single_problem(pack_price_sek=quoted) == [expected]


@pytest.mark.parametrize("value", ["0", "0.06", "0.25", "1"])
def test_vat_rate_is_a_fraction_from_0_to_1(value):
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "vat_rate": value}))
    assert parsed.rows[0].vat_rate == Decimal(value)


@pytest.mark.parametrize("value", ["25", "1.01", "-0.25", ""])
def test_vat_rate_outside_0_to_1_is_refused(value):
    (message,) = single_problem(vat_rate=value)
    assert message.startswith("vat_rate: ")


@pytest.mark.parametrize("column", ["procured", "benefit", "serial_tracked"])
@pytest.mark.parametrize("value", ["Yes", "ja", "true", "1", ""])
def test_flags_are_exactly_yes_or_no(column, value):
    assert single_problem(**{column: value}) == [
        f"{column}: Ska vara yes eller no, inte «{value}»."
    ]


def test_first_choice_rank_is_empty_or_a_positive_integer():
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "first_choice_rank": ""}))
    assert parsed.rows[0].first_choice_rank is None
    assert single_problem(first_choice_rank="0") == [
        "first_choice_rank: Ska vara ett positivt heltal, inte «0»."
    ]


@pytest.mark.parametrize("value", ["0", "-1", "x", "0.33333"])
def test_units_per_day_is_empty_or_a_positive_decimal(value):
    (message,) = single_problem(units_per_day=value)
    assert message.startswith("units_per_day: ")


def test_units_per_day_may_be_empty_for_a_consumable():
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "units_per_day": ""}))
    assert parsed.rows[0].units_per_day is None


@pytest.mark.parametrize("category", ["pump", "cgm_reader"])
def test_durable_devices_need_amortisation_years(category):
    row = {**PUMP, "category": category, "amortisation_years": ""}
    assert problems_of(csv_text(row)) == {
        2: ["amortisation_years: Krävs för pumpar och CGM-läsare."]
    }


def test_amortisation_years_is_a_positive_integer():
    row = {**PUMP, "amortisation_years": "0"}
    assert problems_of(csv_text(row)) == {
        2: ["amortisation_years: Ska vara ett positivt heltal, inte «0»."]
    }


def test_consumables_have_no_amortisation_years():
    assert single_problem(amortisation_years="4") == [
        "amortisation_years: Ska vara tom för annat än pumpar och CGM-läsare."
    ]


def test_durable_devices_have_no_units_per_day():
    problems = problems_of(csv_text({**PUMP, "units_per_day": "1"}))
    assert problems[2][0].startswith("units_per_day: Ska vara tom för pumpar")


def test_valid_from_is_a_required_iso_date():
    assert single_problem(valid_from="") == ["valid_from: Datum saknas (ÅÅÅÅ-MM-DD)."]
    for value in ("2024-13-01", "01/02/2024", "20240101"):
        assert single_problem(valid_from=value) == [
            f"valid_from: Ogiltigt datum «{value}»; skriv ÅÅÅÅ-MM-DD."
        ]


def test_valid_to_may_be_empty_but_not_before_valid_from():
    parsed = parse_catalogue_csv(csv_text({**INFUSION_SET, "valid_to": ""}))
    assert parsed.rows[0].valid_to is None
    same_day = {**INFUSION_SET, "valid_to": INFUSION_SET["valid_from"]}
    assert parse_catalogue_csv(csv_text(same_day)).ok
    assert single_problem(valid_to="2023-12-31") == [
        "valid_to: Avtalet kan inte sluta (2023-12-31) före det börjar (2024-01-01)."
    ]


def test_every_error_of_every_row_is_reported_at_once():
    bad_set = {
        **INFUSION_SET,
        "category": "needle",
        "gtin": "4006381333932",
        "pack_size": "0",
        "procured": "Ja",
    }
    bad_pump = {**PUMP, "channel": "post", "amortisation_years": ""}
    text = csv_text(PUMP, bad_set, INFUSION_SET, bad_pump, PUMP)
    problems = problems_of(text)
    assert list(problems) == [3, 4, 5, 6]
    assert [m.split(":")[0] for m in problems[3]] == [
        "category", "gtin", "pack_size", "procured",
    ]  # fmt: skip
    assert problems[4] == ["article_no: Artikelnumret MMT-397 finns redan på rad 3."]
    assert [m.split(":")[0] for m in problems[5]] == [
        "article_no", "channel", "amortisation_years",
    ]  # fmt: skip
    assert problems[6] == ["article_no: Artikelnumret MMT-1780 finns redan på rad 2."]
    assert parse_catalogue_csv(text).rows == []


def test_problems_print_one_line_each_with_the_line_number():
    parsed = parse_catalogue_csv(csv_text(PUMP, {**INFUSION_SET, "channel": "post"}))
    assert parsed.problems[0].lines() == [
        "rad 3: channel: Okänt värde «post»; tillåtna: central, supplier, pharmacy."
    ]


def test_written_csv_parses_back_to_the_same_rows():
    quoted = {**INFUSION_SET, "article_no": "Q-1", "name": '"Set, 9 mm ""soft"""'}
    original = parse_catalogue_csv(csv_text(PUMP, INFUSION_SET, quoted))
    assert original.ok, original.problems
    written = write_catalogue_csv(original.rows)
    assert written.splitlines()[0] == ",".join(COLUMNS)
    again = parse_catalogue_csv(written)
    assert again.ok
    assert [r.article_values() for r in again.rows] == [
        r.article_values() for r in original.rows
    ]
    assert [r.systems for r in again.rows] == [r.systems for r in original.rows]
    assert again.rows[2].name == 'Set, 9 mm "soft"'


def test_written_numbers_are_plain():
    row = parse_catalogue_csv(
        csv_text({**INFUSION_SET, "vat_rate": "0.2500", "pack_price_sek": "900"})
    ).rows[0]
    line = write_catalogue_csv([row]).splitlines()[1].split(",")
    values = dict(zip(COLUMNS, line, strict=True))
    assert values["vat_rate"] == "0.25"
    assert values["pack_price_sek"] == "900.00"
    assert values["units_per_day"] == "0.3333"
    assert values["procured"] == "yes" and values["serial_tracked"] == "no"


def test_a_semicolon_file_saved_by_swedish_excel_is_read():
    text = "\ufeff" + csv_text(PUMP, INFUSION_SET).replace(",", ";").replace(
        "\n", "\r\n"
    )
    parsed = parse_catalogue_csv(text)
    assert parsed.ok, parsed.problems
    assert [r.article_no for r in parsed.rows] == ["MMT-1780", "MMT-397"]
    assert parsed.rows[1].pack_price_sek == Decimal("1250.50")
