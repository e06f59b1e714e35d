"""The clinic's pages: work lists with filters and CSV, and a patient's overview."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from sesamlike.accounts.forms import EmptyForm
from sesamlike.catalog.labels import category_label, channel_label, channel_labels
from sesamlike.common import spreadsheets
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import N_, _
from sesamlike.common.time import region_day_of, region_today
from sesamlike.common.urls import same_site_path
from sesamlike.extensions import db
from sesamlike.orders import clinic, overview, worklists
from sesamlike.orders import status as order_status
from sesamlike.orders.forms import MODE_LABELS
from sesamlike.orders.views import bp, refusal_text

LIST_HINTS = {
    "open": N_("Alla rader som är beställda men inte levererade, äldst först."),
    "backordered": N_("Rader som väntar på varor i hjälpmedelscentralens lager."),
    "sent": N_("Rader som leverantören eller apoteket har fått men inte levererat."),
    "at_clinic": (
        N_(
            "Leveranser till mottagningen som patienten inte har hämtat. Markera dem "
            "när patienten har hämtat."
        )
    ),
    "overdue": (
        N_(
            "Rader som inte är levererade inom kanalens ledtid: 5 arbetsdagar från "
            "hjälpmedelscentralen, 10 från leverantör och apotek."
        )
    ),
    "running_out": (
        N_(
            "Förskrivningar av förbrukningsmaterial som tar slut inom vald tid eller "
            "nyss har tagit slut, och som inte är förnyade."
        )
    ),
    "warranty": N_("Utlånade pumpar och läsare vars garanti går ut inom vald tid."),
}


def _arg_int(name: str) -> int | None:
    return request.args.get(name, type=int)


def _work_list(action: str = "worklist"):
    return worklists.work_list(
        current_user,
        request.args.get("list"),
        request.args.get("clinic"),
        request.args.get("channel") or None,
        _arg_int("days"),
        action=action,
    )


@bp.route("/orders")
@login_required
def worklist():
    """The clinic's work lists: orders by status, prescriptions, warranties."""
    work = _work_list()
    return render_template(
        "orders/worklist.html",
        work=work,
        titles=worklists.TITLES,
        hints=LIST_HINTS,
        day_choices=worklists.DAY_CHOICES,
        channels=channel_labels(),
        channel_label=channel_label,
        category_label=category_label,
        empty_form=EmptyForm(),
    )


@bp.route("/orders/worklist.csv")
@login_required
def worklist_export():
    """The chosen work list as a semicolon CSV for a spreadsheet."""
    work = _work_list(action="export")
    headers, rows = _table(work)
    dialect = spreadsheets.CSV_FORMATS.get(
        request.args.get("format", "csv"), spreadsheets.SWEDISH
    )
    name = f"arbetslista-{work.name}-{work.today.isoformat()}.csv"
    return spreadsheets.download(spreadsheets.csv_bytes(headers, rows, dialect), name)


def _table(work: worklists.WorkList) -> tuple[list[str], list[list]]:
    """The rows as the CSV has them, in the user's language."""
    if work.name in worklists.ORDER_LISTS:
        headers = [_("Beställning"), _("Beställd"), _("Personnummer"), _("Namn"),
                   _("Artikelnr"), _("Artikel"), _("Förpackningar"), _("Kanal"),
                   _("Status"), _("Leveranssätt"), _("Levereras senast")]  # fmt: skip
        rows = [
            [row.order.id, region_day_of(row.order.placed_at), row.patient.display_id,
             row.patient.full_name, row.line.article.article_no,
             row.line.article.name, row.line.packs, channel_label(row.line.channel),
             _(row.text.label), _(row.delivery_label),
             row.due_on]
            for row in work.rows
        ]  # fmt: skip
    elif work.name == "running_out":
        headers = [_("Personnummer"), _("Namn"), _("Artikelnr"), _("Artikel"),
                   _("Uttag kvar"), _("Giltig till"), _("Räcker till")]  # fmt: skip
        rows = [
            [row.patient.display_id, row.patient.full_name,
             row.prescription.article.article_no, row.prescription.article.name,
             row.prescription.remaining_withdrawals, row.prescription.valid_to,
             row.runs_out_on]
            for row in work.rows
        ]  # fmt: skip
    else:
        headers = [_("Personnummer"), _("Namn"), _("Artikelnr"), _("Hjälpmedel"),
                   _("Serienummer"), _("Utlånad sedan"), _("Garanti till")]  # fmt: skip
        rows = [
            [row.patient.display_id, row.patient.full_name,
             row.device.article.article_no, row.device.article.name,
             row.device.serial_no, row.device.lent_on, row.device.warranty_end]
            for row in work.rows
        ]  # fmt: skip
    return headers, rows


@bp.route("/orders/<int:order_id>/collected", methods=["POST"])
@login_required
def mark_collected(order_id: int):
    """The patient has collected a delivery at the clinic."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        order = clinic.mark_collected(current_user, order_id)
    except DomainError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        flash(refusal_text(error), "error")
    else:
        flash(
            _(
                "Beställning {id} är markerad som hämtad av {name}.",
                id=order.id,
                name=order.patient.full_name,
            ),
            "success",
        )
    return redirect(
        same_site_path(request.form.get("next"))
        or url_for("orders.worklist", list="at_clinic")
    )


@bp.route("/patients/<int:patient_id>/overview")
@login_required
def patient_overview(patient_id: int):
    """A patient's aids: devices in use, current prescriptions, recent orders."""
    found = overview.patient_overview(current_user, patient_id)
    return render_template(
        "orders/overview.html",
        overview=found,
        patient=found.patient,
        can_prescribe=current_user.role == "prescriber",
        today=region_today(),
        category_label=category_label,
        channel_label=channel_label,
        modes=MODE_LABELS,
        order_status=order_status.order_status,
        line_status=order_status.line_status,
    )
