"""Follow-up pages for clinic managers and the region: report, drill-down, exports.

Managers see their own clinics; a clinic that is not theirs answers 404 like an
unknown one. The region sees one clinic or all. Other roles: 403.
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from sesamlike.accounts.models import Role, User
from sesamlike.catalog.labels import channel_label
from sesamlike.common import spreadsheets
from sesamlike.common.errors import NotVisible
from sesamlike.common.formatting import format_amount
from sesamlike.common.i18n import _
from sesamlike.common.paging import bounded_decimal, page_number
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.followup import (
    article_totals,
    breakdowns,
    charts,
    clinic_comparison,
    drilldown,
    exports,
    periods,
    register,
    report,
    stored_figures,
    system_parts,
    system_years,
)
from sesamlike.followup.forms import MAX_THRESHOLD_SEK, ReportFilterForm
from sesamlike.followup.scope import Scope, resolve
from sesamlike.followup.summaries import default_threshold, scope_figures
from sesamlike.patients.identity import format_personal_id
from sesamlike.patients.pseudonym import patient_id_of, pseudonym
from sesamlike.prescriptions.forms import REASON_LABELS

bp = Blueprint("followup", __name__, url_prefix="/followup")

# Larger than any patient's annual cost (a drill-down's least total); what is
# above it is a typing error.
MAX_SEK = Decimal("1000000000")
FORMATS = {"csv": spreadsheets.CSV_CONTENT_TYPE, "xlsx": spreadsheets.XLSX_MIMETYPE}


@bp.context_processor
def _periods() -> dict:
    """`period(year)`: the year as a figure's period (the current one counted
    up to today, `periods`), and the region's today, once per request."""
    day = periods.figures_day()
    return {"period": lambda year: periods.year_label(year, day), "today": day}


def _scope() -> Scope:
    return resolve(current_user, request.args.get("clinic") or None)


def _year() -> int:
    year = request.args.get("year", type=int)
    if year is None:
        years = report.years_with_costs()
        previous = region_today().year - 1
        return previous if previous in years else years[0]
    if not 2000 <= year <= 2100:
        abort(404)
    return year


def _threshold() -> Decimal:
    """The high-cost line; nonsense (NaN, 1e99999, negative) gives the default."""
    return _typed_threshold(request.args.get("threshold"), default_threshold())


def _typed_threshold(typed: str | None, default: Decimal | None) -> Decimal | None:
    return bounded_decimal(
        typed, low=Decimal(0), high=MAX_THRESHOLD_SEK, default=default
    )


def _refuse_threshold(form: ReportFilterForm, used: Decimal) -> None:
    """A typed high-cost line that is no amount from 0 kr to the field's own
    limit: said beside the field, as typed, with the line the report used
    instead."""
    typed = (request.args.get("threshold") or "").strip()
    if not typed:
        return
    if _typed_threshold(typed, None) is not None:
        return
    form.threshold.raw_data = [typed]
    form.threshold.errors = [
        _(
            "Ange ett belopp från 0 till {maximum} kr. Rapporten visar "
            "gränsen {amount} kr så länge.",
            maximum=format_amount(MAX_THRESHOLD_SEK, decimals=0),
            amount=format_amount(used, decimals=0),
        )
    ]


def _args(scope: Scope, year: int, **extra) -> dict:
    args = {"year": year, **extra}
    if scope.clinic_code:
        args["clinic"] = scope.clinic_code
    return args


def _filter_form(scope: Scope, year: int, threshold: Decimal) -> ReportFilterForm:
    form = ReportFilterForm(formdata=None, year=year,
                            clinic=scope.clinic_code or "",
                            threshold=threshold)  # fmt: skip
    day = periods.figures_day()
    form.year.choices = [(y, periods.year_label(y, day))
                         for y in report.years_with_costs()]  # fmt: skip
    everyone = (
        _("Hela regionen")
        if scope.user.role == "region"
        else _("Alla mina mottagningar")
    )
    form.clinic.choices = [("", everyone)] + [(c.code, c.name) for c in scope.clinics]
    return form


@bp.route("/", endpoint="report")
@login_required
def report_page():
    """The follow-up report for a year and a clinic."""
    scope, year, threshold = _scope(), _year(), _threshold()
    data = report.build(scope, year, threshold)
    form = _filter_form(scope, year, threshold)
    _refuse_threshold(form, threshold)
    unit = _("kr per patient och år")
    return render_template(
        "followup/report.html",
        scope=scope,
        year=year,
        threshold=threshold,
        data=data,
        more=breakdowns.by_diabetes_type(scope, year),
        form=form,
        args=_args(scope, year),
        no_system=report.NO_SYSTEM,
        age_label=report.age_label,
        reason_labels=REASON_LABELS,
        parts=system_parts.system_parts(scope, year),
        without_cgm=system_parts.pump_systems_without_cgm(scope, year),
        centres=system_parts.cost_centres(scope, year),
        own_by_year=system_parts.own_cost_by_year(scope, [t.year for t in data.trend]),
        own_label=system_parts.own_cost_label(scope),
        pump_chart=charts.box_plot(
            [(k or exports.no_system_label("pump"), s) for k, s in data.pump.items()],
            _("Årskostnad per pumpsystem"),
            _("Låda: 25:e till 75:e percentilen; streck: median; "
              "morrhår: 10:e till 90:e percentilen; punkt: medel."), unit),
        cgm_chart=charts.box_plot(
            [(k or exports.no_system_label("cgm"), s) for k, s in data.cgm.items()],
            _("Årskostnad per CGM-system"),
            _("Låda: 25:e till 75:e percentilen; streck: median; "
              "morrhår: 10:e till 90:e percentilen; punkt: medel."), unit),
        age_chart=charts.box_plot(
            [(report.age_label(k), s) for k, s in data.ages.items()],
            _("Årskostnad per åldersgrupp"),
            _("Låda: 25:e till 75:e percentilen; streck: median."), unit),
        trend_chart=charts.bars(
            [(periods.year_label(t.year, data.today), t.mean) for t in data.trend],
            _("Medelkostnad per år"), _("Medelkostnad per patient och år."), unit),
    )  # fmt: skip


@bp.route("/system/<kind>")
@login_required
def system(kind: str):
    """One system's cost distribution: statistics and a histogram."""
    if kind not in ("pump", "cgm"):
        abort(404)
    scope, year = _scope(), _year()
    name = request.args.get("name", "")
    column = "pump_system" if kind == "pump" else "cgm_system"
    found = report.system_costs(scope, year, kind, name, _threshold())
    label = name or exports.no_system_label(kind)
    return render_template(
        "followup/system.html",
        scope=scope, year=year, kind=kind, name=name, label=label,
        summary=found.summary, args=_args(scope, year),
        drill_args=_args(scope, year, **{column: name}),
        fence=found.fence, far_above=found.far_above, own=found.own,
        far_args=_args(scope, year, **{column: name},
                       min_part=f"{found.fence:.2f}" if found.fence else None),
        chart=charts.histogram_of(
            found.maximum, found.counts,
            _("Fördelning av årskostnad: {system}", system=label),
            _("Antal patienter per kostnadsintervall."),
            _("kr per patient och år")),
    )  # fmt: skip


def _filters(scope: Scope) -> drilldown.Filters:
    args = request.args
    minimum = bounded_decimal(
        args.get("min_total"), low=Decimal(0), high=MAX_SEK, default=None
    )
    part = bounded_decimal(
        args.get("min_part"), low=Decimal(0), high=MAX_SEK, default=None
    )
    return drilldown.Filters(
        pump_system=args.get("pump_system"),
        cgm_system=args.get("cgm_system"),
        age_group=args.get("age_group"),
        prescriber=args.get("prescriber"),
        min_total=minimum,
        min_part=part,
        overuse=args.get("overuse") == "1",
        sort=drilldown.sort_of(args.get("sort"), scope),
        reverse=args.get("reverse") == "1",
    )


@bp.route("/patients")
@login_required
def patients():
    """The patients behind a figure: one audit row per patient shown."""
    scope, year = _scope(), _year()
    filters = _filters(scope)
    page = page_number(request.args.get("page"))
    listed, unlisted = drilldown.counts(scope, year, filters)
    rows, total = drilldown.patients(scope, year, filters, page, total=listed)
    pages = drilldown.page_count(total)
    page = min(page, pages)  # the one drilldown.patients showed
    return render_template(
        "followup/patients.html", scope=scope, year=year, rows=rows, total=total,
        unlisted=unlisted,
        pseudonym=pseudonym, personal_id=format_personal_id,
        page=page, pages=pages, filters=filters,
        prescriber_name=_prescriber_name(filters.prescriber),
        args=_args(scope, year, **filters.as_args()),
        report_args=_args(scope, year),
        sort_args=_sort_args(scope, year, filters),
    )  # fmt: skip


def _sort_args(scope: Scope, year: int, filters: drilldown.Filters) -> dict:
    """For each order the list may take, the same list's arguments in it
    (from its first page): another column's as it first comes, the sorted
    column's the other way round."""
    unsorted = {k: v for k, v in filters.as_args().items()
                if k not in ("sort", "reverse")}  # fmt: skip
    sorts = {}
    for key in drilldown.SORTS:
        if drilldown.sort_of(key, scope) != key:
            continue
        sort = {} if key == drilldown.DEFAULT_SORT else {"sort": key}
        if key == filters.sort and not filters.reverse:
            sort["reverse"] = "1"
        sorts[key] = _args(scope, year, **unsorted, **sort)
    return sorts


def _prescriber_name(prescriber: str | None) -> str | None:
    """The name of the prescriber the drill-down is for ("" is none); None
    when the id is no prescriber's."""
    if prescriber is None:
        return None
    if prescriber == "":
        return _("Ingen förskrivare")
    if not prescriber.isdecimal() or len(prescriber) >= 10:
        return None
    user = db.session.get(User, int(prescriber))
    return user.display_name if user and user.role == Role.PRESCRIBER else None


@bp.route("/patients/<int:patient_id>")
@login_required
def patient(patient_id: int):
    """One patient's annual costs and the lines behind the chosen year's: a
    manager's, by id. The region names patients by pseudonym only, in the URL
    too (`pseudonymised_patient`): an id here answers it 404."""
    scope = _scope()
    if scope.pseudonymised:
        abort(404)
    return _patient_page(scope, patient_id)


@bp.route("/patients/<patient_key>")
@login_required
def pseudonymised_patient(patient_key: str):
    """The region's page of one patient, found by the pseudonym (by its
    stored index: `pseudonym.patient_id_of`); other roles 404."""
    scope = _scope()
    patient_id = patient_id_of(patient_key) if scope.pseudonymised else None
    if patient_id is None:
        abort(404)
    return _patient_page(scope, patient_id)


def _patient_page(scope: Scope, patient_id: int):
    from sesamlike.followup import patient_costs

    year = _year()
    try:
        detail = patient_costs.detail(scope, patient_id, year)
    except NotVisible:
        abort(404)
    return render_template("followup/patient.html", scope=scope, year=year,
                           detail=detail, args=_args(scope, year),
                           pseudonym=pseudonym,
                           channel_label=channel_label)  # fmt: skip


def _csv_dialect() -> spreadsheets.Dialect:
    """Swedish spreadsheets' CSV; `?format=csv-comma` for a machine."""
    dialect = spreadsheets.CSV_FORMATS.get(request.args.get("format", "csv"))
    if dialect is None:
        abort(404)
    return dialect


def _for_machines(fmt: str) -> bool:
    return fmt == "csv" and _csv_dialect() is spreadsheets.MACHINE


def _noted(headers, rows: list, fmt: str, *notes: str | None) -> list:
    """A reader's file ends with the page's notes under its table (none: as
    it is), after an empty row: a spreadsheet's sort and filter take the
    block of rows above it, not the notes. The machines' comma CSV: rows only."""
    notes = tuple(note for note in notes if note)
    if not notes or _for_machines(fmt):
        return rows
    empty = [None] * (len(headers) - 1)
    return [*rows, [None, *empty], *([note, *empty] for note in notes)]


def _part_year(year: int) -> str | None:
    """The current year's note that its figures run only to the last run."""
    return exports.part_year_note(year, periods.figures_day())


def _download(headers, rows, name: str, fmt: str):
    if fmt == "csv":
        body = spreadsheets.csv_bytes(headers, rows, _csv_dialect())
    else:
        body = spreadsheets.xlsx_bytes(headers, rows, name)
    return _attachment(body, f"{name}.{fmt}", FORMATS[fmt])


def _attachment(body: bytes, filename: str, content_type: str):
    response = spreadsheets.download(body, filename, content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/export/<table>.<fmt>")
@login_required
def export(table: str, fmt: str):
    """One table of the report as CSV or XLSX."""
    known = (exports.TABLES + exports.BREAKDOWNS + exports.REGION_TABLES
             + exports.YEAR_TABLES + exports.PAYMENT_TABLES)  # fmt: skip
    if fmt not in FORMATS or table not in known:
        abort(404)
    scope, year, threshold = _scope(), _year(), _threshold()
    # Tables of several years name each year's period in their columns.
    notes = [] if table in exports.YEAR_TABLES + ("trend",) else [_part_year(year)]
    if table in exports.REGION_TABLES:
        if not scope.region_wide:
            abort(404)
        headers, rows = exports.clinic_table(clinic_comparison.clinic_rows(scope, year))
    elif table in exports.YEAR_TABLES:
        headers, rows = exports.system_years_table(
            *system_years.system_years(scope, year)
        )
    elif table == "cost_centres":
        centres = system_parts.cost_centres(scope, year)
        headers, rows = exports.cost_centre_table(centres)
        overall = scope_figures(scope, year).groups["overall"].get(None)
        if overall and len(centres.rows) > 1:
            notes.insert(0, exports.cost_centre_rounding_note(
                abs(centres.total_cost_sek - overall.total)))  # fmt: skip
    elif table == "system_parts":
        headers, rows = exports.system_parts_table(
            system_parts.system_parts(scope, year)
        )
    elif table == "without_cgm":
        headers, rows = exports.without_cgm_table(
            system_parts.pump_systems_without_cgm(scope, year)
        )
    elif table in exports.BREAKDOWNS:
        headers, rows = exports.breakdown(breakdowns.build(scope, year, table), table)
    elif table == "trend":
        data = report.build(scope, year, threshold)
        own = system_parts.own_cost_by_year(scope, [t.year for t in data.trend])
        label = system_parts.own_cost_label(scope)
        headers, rows = exports.trend_table(data, own, label)
    else:
        headers, rows = exports.table(report.build(scope, year, threshold), table)
    rows = _noted(headers, rows, fmt, *notes)
    suffix = f"-{scope.clinic_code}" if scope.clinic_code else ""
    name = f"uppfoljning-{exports.FILE_NAMES[table]}-{year}{suffix}"
    return _download(headers, rows, name, fmt)


@bp.route("/articles", defaults={"fmt": None})
@bp.route("/articles.<fmt>")
@login_required
def articles(fmt: str | None):
    """Volume and cost per article and the number of patients over 1.5 × use,
    with their sum and what it covers."""
    if fmt is not None and fmt not in FORMATS:
        abort(404)
    scope, year = _scope(), _year()
    rows, overuse = report.articles_and_overuse(scope, year)
    if fmt:
        headers, table_rows = exports.article_table(
            rows, article_totals.article_sum(rows), article_totals.covers(scope)
        )
        notes = [_part_year(year)]
        if rows:
            rounding = article_totals.article_totals(scope, year, rows).rounding
            notes.insert(0, exports.article_rounding_note(rounding))
        table_rows = _noted(headers, table_rows, fmt, *notes)
        suffix = f"-{scope.clinic_code}" if scope.clinic_code else ""
        return _download(headers, table_rows, f"artiklar-{year}{suffix}", fmt)
    return render_template("followup/articles.html", scope=scope, year=year,
                           rows=rows, overuse=overuse,
                           # Kept as at the run: the drill-down reads now's.
                           as_of_run=stored_figures.keeps(scope, year),
                           totals=article_totals.article_totals(scope, year, rows),
                           args=_args(scope, year))  # fmt: skip


@bp.route("/channels")
@login_required
def channels():
    """The region's cost per channel with VAT, and places per patient."""
    scope, year = _scope(), _year()
    return render_template("followup/channels.html", scope=scope, year=year,
                           more=breakdowns.channels_and_places(scope, year),
                           args=_args(scope, year))  # fmt: skip


@bp.route("/clinics")
@login_required
def clinics():
    """The region's clinics side by side (the region's role; the whole
    region, whatever clinic was chosen): a page of its own, as each clinic's
    figures and compliance are read for it."""
    if current_user.role != Role.REGION:
        abort(403)
    scope, year = resolve(current_user, None), _year()
    return render_template("followup/clinics.html", scope=scope, year=year,
                           clinics=clinic_comparison.clinic_rows(scope, year),
                           args=_args(scope, year))  # fmt: skip


@bp.route("/system-years")
@login_required
def system_years_page():
    """Each system's patients and mean cost, the year and the two before it."""
    scope, year = _scope(), _year()
    return render_template("followup/system_years.html", scope=scope, year=year,
                           system_years=system_years.system_years(scope, year),
                           args=_args(scope, year))  # fmt: skip


@bp.route("/patients.<fmt>")
@login_required
def export_patients(fmt: str):
    """The drill-down list as CSV or XLSX: every patient in it is audited."""
    if fmt not in FORMATS:
        abort(404)
    scope, year = _scope(), _year()
    filters = _filters(scope)
    rows, _total = drilldown.patients(scope, year, filters, per_page=None,
                                      exported=True)  # fmt: skip
    headers, table_rows = exports.patient_table(rows, scope.pseudonymised)
    notes = [_part_year(year)]
    if not _for_machines(fmt):  # who is counted but not listed, as the page says
        _listed, unlisted = drilldown.counts(scope, year, filters)
        if unlisted:
            clinics = len(scope.clinic_ids() or ()) > 1
            notes.insert(0, exports.unlisted_note(unlisted, clinics))
    table_rows = _noted(headers, table_rows, fmt, *notes)
    return _download(headers, table_rows, f"patienter-{year}", fmt)


@bp.route("/register.csv")
@login_required
def register_csv():
    """The national diabetes register export for the year, in scope."""
    scope, year, dialect = _scope(), _year(), _csv_dialect()
    body, _count = register.register_file(
        year, user=current_user, scope=scope, dialect=dialect
    )
    name = f"ndr-{year}{'-' + scope.clinic_code if scope.clinic_code else ''}.csv"
    return _attachment(body, name, FORMATS["csv"])
