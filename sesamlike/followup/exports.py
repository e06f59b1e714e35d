"""Every report table as headers and typed rows, for `common.spreadsheets`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sesamlike.catalog.labels import category_label
from sesamlike.common.formatting import format_date, format_sek
from sesamlike.common.i18n import N_, _, ngettext
from sesamlike.followup import periods
from sesamlike.followup.breakdowns import MOST_PLACES, Breakdowns
from sesamlike.followup.report import NO_SYSTEM, Report, age_label
from sesamlike.followup.stats import Summary
from sesamlike.patients.identity import format_personal_id
from sesamlike.patients.pseudonym import pseudonym
from sesamlike.prescriptions.forms import REASON_LABELS

STAT_HEADERS = ("Patienter", "Medel (kr)", "Median (kr)", "P10 (kr)", "P25 (kr)",
                "P75 (kr)", "P90 (kr)")  # fmt: skip
TABLES = ("pump", "cgm", "ages", "system_ages", "prescribers", "compliance",
          "deviations", "trend")  # fmt: skip
REGION_TABLES = ("clinics",)  # the whole region's view only
# The budget tables beside the report: who paid, the systems' own cost.
PAYMENT_TABLES = ("cost_centres", "system_parts", "without_cgm")
YEAR_TABLES = ("system_years",)  # several years side by side
# Each table's file is named in Swedish, as the rest of its name
# ("uppfoljning-pump-utan-cgm-2026.csv", not "uppfoljning-without_cgm-2026"),
# ASCII for every file system and mail client.
FILE_NAMES = {
    "pump": "pumpsystem", "cgm": "cgm-system", "ages": "aldersgrupper",
    "system_ages": "pumpsystem-per-aldersgrupp", "prescribers": "forskrivare",
    "compliance": "foljsamhet", "deviations": "avvikelser", "trend": "utveckling",
    "clinics": "mottagningar", "system_years": "system-ar-for-ar",
    "cost_centres": "kostnadsstallen", "system_parts": "systemens-delar",
    "without_cgm": "pump-utan-cgm", "channels": "kanaler",
    "places": "utlamningsstallen", "diabetes_types": "diabetestyper",
}  # fmt: skip


def _stats(summary: Summary) -> list:
    return [summary.patients, summary.mean, summary.median, summary.p10,
            summary.p25, summary.p75, summary.p90]  # fmt: skip


# What the pump table calls the patients with no pump, and the CGM table those
# with no CGM ("Inget system" read as a system of its own at the meeting).
NO_SYSTEM_LABELS = {"pump": N_("Ingen pump"), "cgm": N_("Ingen CGM")}


def no_system_label(kind: str) -> str:
    return _(NO_SYSTEM_LABELS[kind])


def _system(name: str, kind: str) -> str:
    return name if name != NO_SYSTEM else no_system_label(kind)


def article_table(rows, total=None, covers: str = "") -> tuple[list[str], list[list]]:
    """The articles, and with `total` (an `article_totals.ArticleSum`) a sum row
    last that says whose payments they are (`covers`); patients are not summed.
    The category in the reader's words, as the page shows it ("Infusionsset",
    not infusion_set)."""
    headers = [_("Artikelnr"), _("Benämning"), _("Kategori"), _("Enheter"),
               _("Rader"), _("Patienter"), _("Kostnad (kr)")]  # fmt: skip
    table = [[r.article_no, r.name, category_label(r.category), r.units, r.lines,
              r.patients, r.cost] for r in rows]  # fmt: skip
    if total is not None and rows:
        table.append([_("Summa"), covers, "", total.units, total.lines, None,
                      total.cost])  # fmt: skip
    return headers, table


def clinic_table(rows) -> tuple[list[str], list[list]]:
    """The region's clinics side by side (`clinic_comparison.clinic_rows`):
    the compliance as counts, like the compliance table's export."""
    headers = [_("Mottagning"), _("Kod"), *[_(h) for h in STAT_HEADERS],
               _("Förskrivningar"), _("Upphandlade"), _("Förstahandsval")]  # fmt: skip
    table = []
    for row in rows:
        stats = _stats(row.summary) if row.summary else [0, *[None] * 6]
        table.append([row.clinic.name, row.clinic.code, *stats, row.prescriptions,
                      row.procured, row.first_choice])  # fmt: skip
    return headers, table


def _share(value: Decimal | None) -> Decimal | None:
    """A share in percent, to the hundredth the file writes (84,73, not the
    page's 84,7 padded to 84,70)."""
    return None if value is None else (value * 100).quantize(Decimal("0.01"))


def cost_centre_table(centres) -> tuple[list[str], list[list]]:
    """Per paying cost centre (`system_parts.cost_centres`), what other clinics
    paid of the same patients, and the sum: the page's table."""
    headers = [_("Kostnadsställe"), _("Mottagning"), _("Patienter"),
               _("Volym (st)"), _("Utlånade hjälpmedel (kr)"), _("Förbrukning (kr)"),
               _("Varav moms (kr)"), _("Totalt (kr)")]  # fmt: skip

    def figures(c) -> list:
        return [c.patients, c.units, c.device_cost_sek, c.consumables_cost_sek,
                c.vat_sek, c.total_cost_sek]  # fmt: skip

    rows = [[c.cost_centre or "", c.clinic_code or "", *figures(c)]
            for c in centres.centres]  # fmt: skip
    if centres.elsewhere:
        rows.append([_("Andra vårdenheter, för samma patienter"), "",
                     *figures(centres.elsewhere)])  # fmt: skip
    if centres.rows:
        rows.append([_("Summa"), "", None, None, None, None, None,
                     centres.total_cost_sek])  # fmt: skip
    return headers, rows


def cost_centre_rounding_note(off: Decimal) -> str | None:
    """The page's note under the cost centres' sum, for the file (None: the
    sum meets the report's total)."""
    if not off:
        return None
    return _("Summan skiljer {amount} från uppföljningens totala kostnad: varje "
             "rad och varje patients kostnad avrundas för sig till hela ören.",
             amount=format_sek(off))  # fmt: skip


def article_rounding_note(off: Decimal) -> str | None:
    """The article page's note on its sums, for the file (None: they meet)."""
    if not off:
        return None
    return _("Varje artikels och varje patients kostnad avrundas för sig till "
             "hela ören, så summorna skiljer {amount} från uppföljningens totala "
             "kostnad.", amount=format_sek(off))  # fmt: skip


def part_year_note(year: int, day: date) -> str | None:
    """For a file of the current year (`day` being `periods.figures_day()`),
    the page's words that it is counted only up to that day: the file name's
    year alone read as a whole year's costs. None for a whole year."""
    if year != day.year:
        return None
    return _("Året pågår: kostnaderna räknas till och med {day}. Hjälpmedel "
             "skrivs av för dagarna hittills och förbrukning räknas när den "
             "levereras, så siffrorna är inte ett helt år och kan inte jämföras "
             "rakt av med tidigare år.", day=format_date(day))  # fmt: skip


def system_parts_table(parts) -> tuple[list[str], list[list]]:
    """Each system's own cost beside the same patients' total (`system_parts`)."""
    headers = [_("System"), _("Slag"), _("Patienter"), _("Egen kostnad, medel (kr)"),
               _("Egen kostnad, median (kr)"), _("Total, medel (kr)"),
               _("Egen kostnad, andel av total (%)")]  # fmt: skip
    return headers, [
        [p.system, _("pump") if p.kind == "pump" else _("CGM"), p.own.patients,
         p.own.mean, p.own.median, p.total.mean, _share(p.own_share)]
        for p in parts
    ]  # fmt: skip


def without_cgm_table(rows) -> tuple[list[str], list[list]]:
    """TLV's comparable figure per pump system (`pump_systems_without_cgm`)."""
    headers = [_("Pumpsystem"), _("Patienter utan CGM"), _("Kostnad, medel (kr)"),
               _("Varav förbrukningsartiklar (%)")]  # fmt: skip
    return headers, [
        [r.system, r.patients, r.mean, _share(r.consumables_share)] for r in rows
    ]


def system_years_table(years, rows) -> tuple[list[str], list[list]]:
    """Each system's patients, mean and median per year
    (`system_years.system_years`): a mean alone, moved by one patient far
    above the rest, was all a year-on-year comparison had."""
    headers = [_("System"), _("Slag")]
    day = periods.figures_day()
    for year in years:
        label = periods.year_label(year, day)  # the current year: to date
        headers += [_("Patienter {year}", year=label),
                    _("Medel {year} (kr)", year=label),
                    _("Median {year} (kr)", year=label)]  # fmt: skip
    table = []
    for row in rows:
        cells = [row.system, _("pump") if row.kind == "pump" else _("CGM")]
        for year in years:
            summary = row.by_year.get(year)
            cells += ([summary.patients, summary.mean, summary.median]
                      if summary else [0, None, None])  # fmt: skip
        table.append(cells)
    return headers, table


def table(report: Report, name: str) -> tuple[list[str], list[list]]:
    """Headers (translated) and rows of one report table."""
    stats = [_(h) for h in STAT_HEADERS]
    if name in ("pump", "cgm"):
        groups = report.pump if name == "pump" else report.cgm
        rows = [[_system(k, name), *_stats(s)] for k, s in groups.items()]
        return [_("System"), *stats], rows
    if name == "ages":
        return [_("Åldersgrupp"), *stats], [[age_label(k), *_stats(s)] for k, s in
                                            report.ages.items()]  # fmt: skip
    if name == "system_ages":
        groups = report.system_age_groups()
        rows = [[_system(system, "pump"), *(counts.get(g, 0) for g in groups)]
                for system, counts in report.system_ages.items()]  # fmt: skip
        return [_("Pumpsystem"), *map(age_label, groups)], rows
    if name == "prescribers":
        rows = [[label or _("Ingen förskrivare"), *_stats(s)]
                for _pid, label, s in report.prescribers]  # fmt: skip
        return [_("Förskrivare"), *stats], rows
    if name == "compliance":
        c = report.compliance
        return [_("Förskrivningar"), _("Upphandlade"), _("Förstahandsval"),
                _("Avvikelser")], [[c["total"], c["procured"], c["first_choice"],
                                    c["deviations"]]]  # fmt: skip
    if name == "deviations":
        return [_("Orsakskod"), _("Orsak"), _("Förskrivningar")], [
            [code, _(REASON_LABELS[code]) if code in REASON_LABELS
             else _("Ingen orsak angiven"), n]
            for code, n in report.deviations
        ]  # fmt: skip
    if name == "trend":
        # The last column says which year is counted only up to today (added
        # last, so the columns before it stay where they were).
        return [_("År"), _("Patienter"), _("Medel (kr)"), _("Summa (kr)"),
                _("Räknat t.o.m.")], [
            [t.year, t.patients, t.mean, t.total,
             periods.counted_to(t.year, report.today)]
            for t in report.trend
        ]  # fmt: skip
    raise KeyError(name)


def trend_table(report: Report, own: dict[int, Decimal] | None,
                own_label: str) -> tuple[list[str], list[list]]:  # fmt: skip
    """The trend, and with `own` (`system_parts.own_cost_by_year`) what the
    clinic's cost centres paid each year, last (the columns before stay)."""
    headers, rows = table(report, "trend")
    if own is None:
        return headers, rows
    return [*headers, own_label], [[*row, own.get(row[0])] for row in rows]


BREAKDOWNS = ("channels", "places", "diabetes_types")
CHANNEL_LABELS = {
    "central": N_("Hjälpmedelscentral"),
    "supplier": N_("Leverantör"),
    "pharmacy": N_("Apotek"),
}
DIABETES_LABELS = {
    "type1": N_("Typ 1-diabetes"),
    "type2": N_("Typ 2-diabetes"),
    "other": N_("Annan diabetes"),
}


def place_label(places: int) -> str:
    if places >= MOST_PLACES:
        return _("{n} eller fler ställen", n=MOST_PLACES)
    return ngettext("{n} ställe", "{n} ställen", places)


def breakdown(data: Breakdowns, name: str) -> tuple[list[str], list[list]]:
    """Headers (translated) and rows of one of the report's breakdowns."""
    if name == "channels":
        rows = [
            [_(CHANNEL_LABELS.get(c.channel, c.channel)), c.lines, c.patients,
             c.device, c.consumables, c.vat, c.excluding_vat, c.total]
            for c in data.channels
        ]  # fmt: skip
        if data.channels:
            t = data.channel_total
            rows.append([_("Summa"), t.lines, None, t.device, t.consumables, t.vat,
                         t.excluding_vat, t.total])  # fmt: skip
        return [_("Kanal"), _("Rader"), _("Patienter"), _("Utlånade hjälpmedel (kr)"),
                _("Förbrukning (kr)"), _("Moms (kr)"), _("Exkl. moms (kr)"),
                _("Totalt (kr)")], rows  # fmt: skip
    if name == "places":
        return [_("Ställen"), _("Patienter")], [
            [place_label(n), count] for n, count in data.places.items()
        ]
    if name == "diabetes_types":
        stats = [_(h) for h in STAT_HEADERS]
        return [_("Diabetestyp"), *stats, _("Med pump")], [
            [_(DIABETES_LABELS.get(d.diabetes_type, d.diabetes_type)),
             *_stats(d.summary), d.on_pump]
            for d in data.diabetes_types
        ]  # fmt: skip
    raise KeyError(name)


def unlisted_note(unlisted: int, clinics: bool) -> str:
    """The drill-down's words on the patients counted in the report but not
    listed (no longer in the clinic's care), as the last row of its file."""
    if clinics:
        return ngettext(
            "{n} patient till räknas i rapportens siffror men finns inte i "
            "listan: patienten vårdas inte längre av mottagningarna.",
            "{n} patienter till räknas i rapportens siffror men finns inte i "
            "listan: de vårdas inte längre av mottagningarna.",
            unlisted,
        )
    return ngettext(
        "{n} patient till räknas i rapportens siffror men finns inte i listan: "
        "patienten vårdas inte längre av mottagningen.",
        "{n} patienter till räknas i rapportens siffror men finns inte i listan: "
        "de vårdas inte längre av mottagningen.",
        unlisted,
    )


def patient_table(
    rows: Iterable, pseudonymised: bool = False
) -> tuple[list[str], list[list]]:
    """The drill-down; the region's copy names each patient by pseudonym only."""
    costs = [_("Pumpsystem"), _("CGM-system"), _("Utlånade hjälpmedel (kr)"),
             _("Förbrukning (kr)"), _("Totalt (kr)")]  # fmt: skip
    if pseudonymised:
        return [_("Patientnyckel"), *costs], [
            [pseudonym(r.id), r.pump_system or "", r.cgm_system or "",
             r.device_cost_sek, r.consumables_cost_sek, r.total_cost_sek]
            for r in rows
        ]  # fmt: skip
    return [_("Personnummer"), _("Namn"), *costs], [
        [format_personal_id(r.personal_id), f"{r.first_name} {r.last_name}",
         r.pump_system or "", r.cgm_system or "", r.device_cost_sek,
         r.consumables_cost_sek, r.total_cost_sek]
        for r in rows
    ]  # fmt: skip
