"""Aids centre pages for the supplier and pharmacy channels and replenishment."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.channels import pharmacy as pharmacy_channel
from sesamlike.channels import supplier as supplier_channel
from sesamlike.channels import supplier_status
from sesamlike.channels.commands import file_names
from sesamlike.channels.forms import ExportForm, ReorderPointForm, UploadForm
from sesamlike.common import spreadsheets
from sesamlike.common.csvfiles import FileInvalid, decode_file
from sesamlike.common.errors import DomainError
from sesamlike.common.formatting import format_date
from sesamlike.common.i18n import N_, _, ngettext
from sesamlike.common.time import region_today
from sesamlike.extensions import db, login_manager
from sesamlike.stock import expiry, replenishment, staff
from sesamlike.stock.models import Depot

bp = Blueprint("channels", __name__, url_prefix="/channels")

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# In the words of the order lines' own statuses (orders.status): an order that
# has reached the supplier is not yet "skickad".
SUPPLIER_STATUS_LABELS = {
    "sent": N_("Beställd hos leverantören"),
    "confirmed": N_("Bekräftad av leverantören"),
    "shipped": N_("Skickad av leverantören"),
    "delivered": "Levererad",
    "cancelled": N_("Makulerad av leverantören"),
}
PROPOSAL_STATUS_LABELS = {"open": N_("Förslag"), "ordered": "Beställd"}


@bp.before_request
def depot_only():
    """Every page here is the aids centre's."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.DEPOT:
        abort(403)
    return None


@bp.route("/")
def index():
    """Overview: what waits in each channel, proposals and expiring lots."""
    today = region_today()
    return render_template(
        "channels/index.html",
        waiting=_by_supplier(supplier_channel.waiting_lines()),
        open_prescriptions=pharmacy_channel.count_open_prescriptions(),
        waiting_for_e_recept=pharmacy_channel.lines_waiting_for_e_recept(),
        proposals=len(replenishment.proposals(("open",))),
        lots=expiry.lots_to_watch(today),
        today=today,
    )


@bp.route("/suppliers")
def suppliers(form: ExportForm | None = None, upload=None, problems=None):
    """Supplier files by day, lines waiting for a file, and the status upload."""
    if form is None:
        form = ExportForm(formdata=None, day=supplier_channel.region_today())
    return render_template(
        "channels/suppliers.html",
        form=form,
        upload=upload or UploadForm(),
        problems=problems,
        waiting=_by_supplier(supplier_channel.waiting_lines()),
        exports=supplier_channel.recent_exports(),
        cancelled=supplier_channel.cancelled_after_export(),
        status_labels=SUPPLIER_STATUS_LABELS,
    ), (422 if problems else 200)


@bp.route("/suppliers/export", methods=["POST"])
def export():
    """Write the day's supplier files (a day already written stays as it was)."""
    form = ExportForm()
    if not form.validate_on_submit():
        return suppliers(form=form)
    day = form.day.data
    written = {export.id for export in supplier_channel.exports_of(day)}
    try:
        exports = supplier_channel.export_supplier_orders(day, current_user)
    except DomainError as error:
        db.session.rollback()
        form.day.errors = [_(error.message, **error.params)]
        return suppliers(form=form)
    # A supplier's file of a day is final: only the new ones are news, and
    # lines that came in after it wait for a later day's.
    new = [export for export in exports if export.id not in written]
    if new:
        flash(ngettext("{n} leverantörsfil för {day}.",
                       "{n} leverantörsfiler för {day}.",
                       len(new), day=format_date(day)), "success")  # fmt: skip
    else:
        flash(_("Inga nya leverantörsfiler för {day}: dagens filer är redan "
                "skapade.", day=format_date(day)), "info")  # fmt: skip
    if waiting := len(supplier_channel.waiting_lines()):
        flash(
            ngettext("{n} rad väntar till nästa dags fil.",
                     "{n} rader väntar till nästa dags fil.", waiting),
            "info",
        )  # fmt: skip
    return redirect(url_for("channels.suppliers"))


@bp.route("/suppliers/exports/<int:export_id>.csv")
def download(export_id: int):
    """Download one supplier file as it was first written (protected identity
    since: the rows show the clinic's address, `supplier.file_text`)."""
    export = supplier_channel.export_file(current_user, export_id)
    exports = supplier_channel.exports_of(export.export_date)
    name = next(n for n, e in file_names(exports).items() if e.id == export.id)
    return spreadsheets.download(supplier_channel.file_text(export), name)


@bp.route("/suppliers/status", methods=["POST"])
def upload_status():
    """Import a supplier's status file: all rows or none."""
    upload = UploadForm()
    result = _import(upload, supplier_status.import_supplier_status_text)
    if not isinstance(result, supplier_status.StatusCounts):
        return suppliers(upload=upload, problems=result)
    flash(
        _(
            "Statusfilen är inläst: {confirmed} bekräftade, {shipped} skickade, "
            "{delivered} levererade, {cancelled} makulerade, {unchanged} oförändrade.",
            **vars(result),
        ),
        "success",
    )
    if result.lent:
        flash(
            ngettext(
                "{n} hjälpmedel är registrerat som utlånat till patienten.",
                "{n} hjälpmedel är registrerade som utlånade till patienterna.",
                result.lent,
            ),
            "success",
        )
    return redirect(url_for("channels.suppliers"))


@bp.route("/pharmacy")
def pharmacy(upload=None, problems=None):
    """Open e-recepts and the dispensing upload."""
    return render_template(
        "channels/pharmacy.html",
        upload=upload or UploadForm(),
        problems=problems,
        prescriptions=pharmacy_channel.open_prescriptions(),
        open_count=pharmacy_channel.count_open_prescriptions(),
        waiting=pharmacy_channel.lines_waiting_for_e_recept(),
        button=EmptyForm(),
    ), (422 if problems else 200)


@bp.route("/pharmacy/issue", methods=["POST"])
def issue():
    """Issue e-recepts for pharmacy lines now instead of waiting for the job."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    issued = pharmacy_channel.issue_pharmacy_prescriptions(current_user)
    flash(ngettext("{n} nytt e-recept.", "{n} nya e-recept.", issued), "success")
    return redirect(url_for("channels.pharmacy"))


@bp.route("/pharmacy/dispensing", methods=["POST"])
def upload_dispensing():
    """Import a pharmacy dispensing file: all rows or none."""
    upload = UploadForm()
    result = _import(upload, pharmacy_channel.import_dispensing_text)
    if not isinstance(result, pharmacy_channel.DispensingCounts):
        return pharmacy(upload=upload, problems=result)
    flash(
        ngettext(
            "Expedieringarna är inlästa: {dispensings} expediering "
            "({partial} delvis), {unchanged} redan kända.",
            "Expedieringarna är inlästa: {dispensings} expedieringar "
            "({partial} delvis), {unchanged} redan kända.",
            result.dispensings,
            **vars(result),
        ),
        "success",
    )
    return redirect(url_for("channels.pharmacy"))


@bp.route("/proposals")
def proposals():
    """Purchase proposals per supplier: one purchase order each."""
    groups: dict[str, list] = {}
    for proposal in replenishment.proposals():
        groups.setdefault(proposal.supplier, []).append(proposal)
    return render_template(
        "channels/proposals.html",
        groups=groups,
        button=EmptyForm(),
        status_labels=PROPOSAL_STATUS_LABELS,
    )


@bp.route("/proposals/check", methods=["POST"])
def check_stock():
    """Run the low-stock check now instead of waiting for the night."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    counts = replenishment.check_low_stock(supplier_channel.region_today())
    flash(_("Nya förslag: {proposed}, uppdaterade: {updated}.", **counts), "success")
    return redirect(url_for("channels.proposals"))


@bp.route(
    "/proposals/<int:proposal_id>/<any(ordered, dismissed):status>", methods=["POST"]
)
def decide(proposal_id: int, status: str):
    """Mark a proposal ordered from the supplier, or dismiss it."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        replenishment.decide_proposal(current_user, proposal_id, status)
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        flash(_(error.message, **error.params), "error")
    return redirect(url_for("channels.proposals"))


@bp.route("/reorder-points", methods=["GET", "POST"])
def reorder_points():
    """Reorder points per depot and article: list, add and change."""
    form = ReorderPointForm()
    depots = db.session.scalars(sa.select(Depot).order_by(Depot.code)).all()
    form.depot_code.choices = [(d.code, f"{d.code} {d.name}") for d in depots]
    if not form.is_submitted() and (own := staff.own_depot(current_user)):
        form.depot_code.data = own.code
    status = 200
    if form.validate_on_submit():
        try:
            replenishment.set_reorder_point(
                current_user,
                form.depot_code.data,
                form.article_no.data,
                form.reorder_level.data,
                form.order_up_to.data,
            )
        except DomainError as error:
            db.session.rollback()
            for name, messages in error.fields.items():
                getattr(form, name).errors = list(messages)
            status = 422
        else:
            flash(_("Beställningspunkten är sparad."), "success")
            return redirect(url_for("channels.reorder_points"))
    elif form.is_submitted():
        status = 422
    return render_template(
        "channels/reorder_points.html",
        form=form,
        points=replenishment.reorder_points(),
        button=EmptyForm(),
    ), status


@bp.route("/reorder-points/<int:point_id>/delete", methods=["POST"])
def delete_reorder_point(point_id: int):
    """Stop watching an article in a depot."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    replenishment.delete_reorder_point(point_id)
    flash(_("Beställningspunkten är borttagen."), "success")
    return redirect(url_for("channels.reorder_points"))


def _import(upload: UploadForm, importer):
    """Counts, or the problems to show (a list of (line, message))."""
    if not upload.validate_on_submit():
        return [(None, _(e)) for e in upload.file.errors or [N_("Välj en fil.")]]
    raw = upload.file.data.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        return [(None, _("Filen är större än 5 MB."))]
    try:
        return importer(decode_file(raw), current_user)
    except FileInvalid as error:
        return [(None, _(error.message, **error.params))] + [
            (problem.line, _row_text(error_item))
            for problem in error.problems
            for error_item in problem.errors
        ]
    except DomainError as error:
        db.session.rollback()
        return [(None, _(error.message, **error.params))]


def _row_text(error) -> str:
    text = _(error.message, **error.params)
    return f"{error.column}: {text}" if error.column else text


def _by_supplier(lines) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.article.supplier] = counts.get(line.article.supplier, 0) + 1
    return dict(sorted(counts.items()))
