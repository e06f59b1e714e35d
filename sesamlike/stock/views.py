"""Depot pages (hjälpmedelscentral): stock, receipts, counts, devices in quarantine.

The pages that work on orders (pick list, packing, deliveries, returns) are in
`depot_views`. Like the API, these pages sit on top of the areas: they call the
orders-area use cases (`orders.shipping`, `orders.returns`) wherever a stock
change may fill backorders, so the order lines follow; the stock services
themselves never import orders.
"""

from __future__ import annotations

from datetime import date
from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Role
from sesamlike.errors import DomainError
from sesamlike.extensions import db
from sesamlike.i18n import _
from sesamlike.orders import returns, shipping
from sesamlike.stock import devices, ledger, overview, receipts
from sesamlike.stock.forms import (
    COUNT_REASON_LABELS,
    RETURN_REASON_LABELS,
    CountForm,
    DeviceReturnForm,
    ReceiptForm,
    choices,
)
from sesamlike.stock.gs1 import parse_gs1
from sesamlike.stock.models import Depot, StockLot

bp = Blueprint("stock", __name__, url_prefix="/stock")

LINE_STATUS_LABELS = {
    "reserved": "Reserverad",
    "backordered": "Restnoterad",
    "shipped": "Skickad",
    "delivered": "Levererad",
    "cancelled": "Makulerad",
    "returned": "Returnerad",
}


def depot_only(view=None, *, admin_reads: bool = False):
    """The depot role only; admin may read the pages marked admin_reads."""

    def decorate(fn):
        @wraps(fn)
        @login_required
        def wrapper(*args, **kwargs):
            role = current_user.role
            if role == Role.DEPOT:
                return fn(*args, **kwargs)
            if admin_reads and role == Role.ADMIN and request.method == "GET":
                return fn(*args, **kwargs)
            abort(403)

        return wrapper

    return decorate(view) if view else decorate


def error_text(error: DomainError) -> str:
    return _(error.message, **error.params)


def flash_error(error: DomainError) -> None:
    db.session.rollback()
    if error.status == 404:
        abort(404)
    flash(error_text(error), "error")
    for name, messages in error.fields.items():
        flash(f"{name}: {' '.join(_(m) for m in messages)}", "error")


def depot_choices() -> list[SelectChoice]:
    depots = db.session.scalars(sa.select(Depot).order_by(Depot.code))
    return [SelectChoice(d.code, f"{d.code} – {d.name}") for d in depots]


def render(template: str, status: int = 200, **context):
    return render_template(
        f"stock/{template}",
        can_act=current_user.role == Role.DEPOT,
        statuses=LINE_STATUS_LABELS,
        today=date.today(),
        **context,
    ), status


@bp.route("", endpoint="overview")
@depot_only(admin_reads=True)
def overview_page():
    """Stock per article, depot and lot, with expiry warnings and the ledger check."""
    return render(
        "overview.html",
        lots=overview.lots(),
        totals=overview.totals(),
        mismatches=ledger.ledger_mismatches(),
        form=EmptyForm(),
    )


@bp.route("/receipts", methods=["GET", "POST"])
@depot_only
def receipt():
    """Receive goods; paste or scan a GS1 code and press Tolka to fill the form."""
    form = ReceiptForm()
    form.depot_code.choices = depot_choices()
    status = 200
    if request.method == "POST" and "interpret" in request.form:
        _interpret(form)
    elif form.validate_on_submit():
        try:
            done = shipping.receive_stock(
                current_user,
                form.depot_code.data,
                form.article_no.data,
                form.packs.data,
                lot=form.lot.data,
                expiry=form.expiry.data,
                serials=(form.serials.data or "").split(),
                bin=form.bin.data,
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error_text(error))
            for name, messages in error.fields.items():
                if name in form:
                    form[name].errors = [*form[name].errors, *messages]
            status = 422
        else:
            flash(
                _(
                    "{packs} förp. {article} inlevererade till parti {lot}. "
                    "Restorder som fick reservation: {filled}.",
                    packs=done.packs,
                    article=done.lot.article.name,
                    lot=done.lot.lot or "–",
                    filled=len(done.filled),
                ),
                "success",
            )
            return redirect(url_for("stock.receipt"))
    elif request.method == "POST":
        status = 422
    return render("receipt.html", status, form=form)


def _interpret(form: ReceiptForm) -> None:
    """Fill GTIN's article, lot, expiry and serial from the scanned code."""
    form.form_errors = []
    try:
        scan = parse_gs1(form.barcode.data or "")
    except DomainError as error:
        form.barcode.errors = [error_text(error)]
        return
    article = receipts.article_by_gtin(scan.gtin) if scan.gtin else None
    if article is not None:
        form.article_no.data = article.article_no
    elif scan.gtin:
        form.barcode.errors = [
            _("Ingen artikel i sortimentet har GTIN {gtin}.", gtin=scan.gtin)
        ]
    if scan.lot:
        form.lot.data = scan.lot
    if scan.expiry:
        form.expiry.data = scan.expiry
        form.expiry.raw_data = None  # render the scanned date, not the empty input
    if scan.serial_no:
        known = (form.serials.data or "").split()
        form.serials.data = "\n".join(dict.fromkeys([*known, scan.serial_no]))
    if not form.packs.data:
        form.packs.data, form.packs.raw_data = 1, None


@bp.route("/count", methods=["GET", "POST"])
@depot_only
def count():
    """Cycle count: book the difference from the books with a reason code."""
    form = CountForm()
    lots = db.session.scalars(
        sa.select(StockLot)
        .join(StockLot.article)
        .where(StockLot.lot != ledger.QUARANTINE_LOT)
        .order_by(StockLot.depot_id, StockLot.article_id, StockLot.expiry)
    ).all()
    form.reason_code.choices = choices(COUNT_REASON_LABELS, _)
    form.lot_id.choices = [
        SelectChoice(
            lot.id,
            f"{lot.depot.code} · {lot.article.article_no} {lot.article.name} · "
            f"{lot.lot or '–'} ({lot.on_hand})",
        )
        for lot in lots
    ]
    status = 200
    if form.validate_on_submit():
        try:
            lot, difference = returns.count_lot(
                current_user,
                form.lot_id.data,
                form.counted.data,
                form.reason_code.data or None,
            )
        except DomainError as error:
            flash_error(error)
            status = 422
        else:
            flash(
                _(
                    "Inventering bokförd: differens {difference} förp., "
                    "nytt saldo {on_hand}.",
                    difference=difference,
                    on_hand=lot.on_hand,
                ),
                "success",
            )
            return redirect(url_for("stock.count"))
    elif request.method == "POST":
        status = 422
    return render(
        "count.html", status, form=form, lots=lots, reasons=COUNT_REASON_LABELS
    )


@bp.route("/lots/<int:lot_id>/scrap", methods=["POST"])
@depot_only
def scrap_lot(lot_id: int):
    """Scrap what is left of an expired lot."""
    if EmptyForm().validate_on_submit():
        try:
            packs = returns.scrap_lot(current_user, lot_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("{packs} förp. kasserade.", packs=packs), "success")
    return redirect(url_for("stock.overview"))


@bp.route("/devices", methods=["GET", "POST"])
@depot_only
def device_returns():
    """Take back lent devices; recondition, scrap or replace those in quarantine."""
    form = DeviceReturnForm()
    form.reason.choices = choices(RETURN_REASON_LABELS, _)
    if request.method == "GET":
        form.returned_on.data = date.today()
    status = 200
    if form.validate_on_submit():
        try:
            device = returns.return_device(
                current_user,
                form.serial_no.data,
                form.reason.data,
                form.returned_on.data,
            )
        except DomainError as error:
            flash_error(error)
            status = 422
        else:
            flash(
                _(
                    "{serial_no} är mottagen och står i karantän.",
                    serial_no=device.serial_no,
                ),
                "success",
            )
            return redirect(url_for("stock.device_returns"))
    elif request.method == "POST":
        status = 422
    return render(
        "devices.html",
        status,
        form=form,
        devices=devices.in_quarantine(),
        reasons=RETURN_REASON_LABELS,
        actions=EmptyForm(),
    )


@bp.route("/devices/<int:device_id>/<action>", methods=["POST"])
@depot_only
def device_action(device_id: int, action: str):
    """Recondition, scrap or replace a device in quarantine."""
    use_cases = {
        "recondition": (returns.recondition_device, "Enheten är åter i lager."),
        "scrap": (returns.scrap_device, "Enheten är kasserad."),
        "replace": (returns.replace_device, "Ersättning beställd under garanti."),
    }
    if action not in use_cases:
        abort(404)
    if EmptyForm().validate_on_submit():
        use_case, done = use_cases[action]
        try:
            use_case(current_user, device_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_(done), "success")
    return redirect(url_for("stock.device_returns"))


from sesamlike.stock import depot_views  # noqa: E402,F401  (routes on bp)
