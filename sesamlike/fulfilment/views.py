"""The aids centre's work on orders: receipts that fill backorders, pick list,
packing and shipping, deliveries, returns, counts and devices on loan."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts.forms import EmptyForm
from sesamlike.catalog.models import Channel
from sesamlike.common.errors import DomainError, Invalid
from sesamlike.common.formatting import ReadersDate, ReadersNumber
from sesamlike.common.i18n import N_, _, ngettext
from sesamlike.common.paging import Page, page_number
from sesamlike.common.time import region_today
from sesamlike.common.urls import same_site_path
from sesamlike.extensions import db
from sesamlike.fulfilment import pick_queue, put_back, registers, returns, shipping
from sesamlike.fulfilment.forms import (
    COUNT_REASON_LABELS,
    RETURN_REASON_LABELS,
    ConsumableReturnForm,
    CountForm,
    DeliverForm,
    DeviceReturnForm,
    LoanSearchForm,
    PackForm,
    ReceiptForm,
    ReturnSearchForm,
    UnregisteredReturnForm,
    UnregisteredSearchForm,
    choices,
)
from sesamlike.orders import shipto, withdrawals
from sesamlike.orders.forms import MODE_LABELS
from sesamlike.orders.models import LineStatus
from sesamlike.orders.status import LABELS
from sesamlike.stock import devices, picking, receipts, staff
from sesamlike.stock.errors import DeviceAlreadyInQuarantine, DeviceNotFound
from sesamlike.stock.gs1 import parse_gs1
from sesamlike.stock.models import Depot
from sesamlike.stock.views import (
    depot_choices,
    depot_only,
    error_text,
    errors_beside_fields,
    field_label,
    flash_error,
)
from sesamlike.stock.views import render as render_depot_page

bp = Blueprint("fulfilment", __name__, url_prefix="/stock")

# Line statuses in the words prescribers and patients read too (orders.status).
LINE_STATUS_LABELS = {status: label for status, (label, _b) in LABELS.items()}


def render(template: str, status: int = 200, **context):
    return render_depot_page(
        f"fulfilment/{template}", status, statuses=LINE_STATUS_LABELS, **context
    )


def _depots() -> list[Depot]:
    return list(db.session.scalars(sa.select(Depot).order_by(Depot.code)))


def _chosen_depot(depots: list[Depot]) -> int | None:
    """The depot a page shows (?depot=id), else the clerk's own, else the first."""
    chosen = request.args.get("depot", type=int)
    if chosen not in {depot.id for depot in depots}:  # none, or a hand-edited one
        chosen = staff.starting_depot_id(current_user, depots)
    return chosen


@bp.route("/picking")
@depot_only
def pick_list():
    """What to pick per depot, first expiry first out, with lot and bin, the
    oldest orders first, a page at a time."""
    depots = _depots()
    chosen = _chosen_depot(depots)
    page = page_number(request.args.get("page"))
    queue = pick_queue.pick_page(chosen, page) if chosen else Page([], 0, 1, 1)
    return render("picking.html", depots=depots, chosen=chosen, queue=queue,
                  form=EmptyForm())  # fmt: skip


@bp.route("/orders/<int:order_id>/pick", methods=["POST"])
@depot_only
def pick_order(order_id: int):
    """Mark an order's lines picked (devices are picked by serial when packed)."""
    if EmptyForm().validate_on_submit():
        try:
            shipping.pick_order(current_user, order_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(_("Beställning {order_id} är plockad.", order_id=order_id), "success")
    return redirect(
        same_site_path(request.form.get("next")) or url_for("fulfilment.packing")
    )


@bp.route("/packing")
@depot_only
def packing():
    """Orders with reserved lines held in a depot (the clerk's own first),
    oldest first, ready to pack and ship, a page at a time; each says the
    depots it is held in."""
    depots = _depots()
    chosen = _chosen_depot(depots)
    queue = shipping.orders_to_pack(chosen, page_number(request.args.get("page")))
    orders = [order for order, _held in queue.items]
    reserved = [
        line
        for order in orders
        for line in order.lines
        if line.status == LineStatus.RESERVED
    ]
    unpicked = {line.id for line in shipping.unpicked_lines(reserved)}
    picked = {}  # order id -> yes, no, or devices only (picked by serial when packed)
    for order in orders:
        mine = [line for line in order.lines if line.status == LineStatus.RESERVED]
        if any(line.id in unpicked for line in mine):
            picked[order.id] = N_("Nej")
        elif all(line.article.serial_tracked for line in mine):
            picked[order.id] = N_("Vid packning (serienummer)")
        else:
            picked[order.id] = N_("Ja")
    return render(
        "packing.html",
        put_back=put_back.waiting(depot_id=chosen),
        queue=queue,
        orders=orders,
        picked=picked,
        held={order.id: held for order, held in queue.items},
        depots=depots,
        chosen=chosen,
    )


def _listed_at() -> dict:
    """The depot and page of the packing list the pack page was opened from,
    as its link gives them (`?depot=&page=`)."""
    page = request.args.get("page")
    return {"depot": request.args.get("depot", type=int),
            "page": page_number(page) if page else None}  # fmt: skip


def _packing_list() -> str:
    """The packing list the pack page was opened from, else the clerk's own."""
    return url_for("fulfilment.packing", **_listed_at())


@bp.route("/orders/<int:order_id>/pack", methods=["GET", "POST"])
@depot_only
def pack(order_id: int):
    """Pack and ship: choose lines (partial shipment), serials, tracking.

    Consumable lines are picked first (the pick list), or packed unpicked with
    a reason that is audited. Serials come from those on the depot's shelf.
    """
    form = PackForm()
    status, refusal = 200, None
    if form.validate_on_submit():
        line_ids = [int(x) for x in request.form.getlist("line") if x.isdecimal()]
        serials = {
            str(line_id): [
                serial
                for given in request.form.getlist(f"serials-{line_id}")
                for serial in given.split()
            ]
            for line_id in line_ids
        }
        try:
            shipped = shipping.ship_order(
                current_user,
                order_id,
                # None ticked is none chosen (the page lists every line).
                line_ids=line_ids,
                serials={k: v for k, v in serials.items() if v},
                tracking_ref=form.tracking_ref.data,
                require_picked=True,
                pick_override=form.pick_override.data,
            )
        except DomainError as error:
            db.session.rollback()
            status, refusal = 422, error
        else:
            flash(_shipped_message(shipped), "success")
            return redirect(_packing_list())
    try:
        order = shipping.order_for_depot(current_user, order_id)
    except DomainError as error:
        flash_error(error)
        return redirect(_packing_list())
    serial_errors: dict[int, list[str]] = {}
    if refusal is not None:
        form.form_errors.extend(_pack_errors(refusal, order))
        errors_beside_fields(form, refusal.fields)  # as the receipt form does
        serial_errors = _serial_errors(refusal, order)
    reserved = [line for line in order.lines if line.status == LineStatus.RESERVED]
    return render(
        "pack.html",
        status,
        action=url_for("fulfilment.pack", order_id=order_id, **_listed_at()),
        put_back=put_back.waiting(lines=order.lines),
        order=order,
        form=form,
        ship_to=shipto.ship_to_seen_by(current_user, order),
        return_days=returns.RETURN_DAYS,
        unpicked={line.id for line in shipping.unpicked_lines(reserved)},
        to_ship=bool(reserved),
        in_stock=shipping.serials_in_stock(order),
        chosen={
            key.removeprefix("serials-"): request.form.getlist(key)
            for key in request.form
            if key.startswith("serials-")
        },
        modes=MODE_LABELS,  # the delivery mode in force (ship_to.mode) in words
        serial_errors=serial_errors,
    )


def _serial_errors(error: DomainError, order) -> dict[int, list[str]]:
    """A refusal's words about serial numbers, per line: beside that line's
    serial fields (a serial refused by number: the line it was chosen for)."""
    found: dict[int, list[str]] = {}
    for line in order.lines:
        messages = error.fields.get(f"serials.{line.id}")
        if messages:
            found[line.id] = [_(m) for m in messages]
    serial_no = error.params.get("serial_no")
    if serial_no:
        for key in request.form:
            if key.startswith("serials-") and serial_no in request.form.getlist(key):
                line_id = key.removeprefix("serials-")
                if line_id.isdecimal():
                    found.setdefault(int(line_id), []).append(error_text(error))
                break
    return found


def _pack_errors(error: DomainError, order) -> list[str]:
    """The refusal and its fields in words: a line by its article, never its id;
    a bare "Ogiltig uppgift." is left out where its fields say what is wrong."""
    names = {f"serials.{line.id}": line.article.name for line in order.lines}
    texts = [] if type(error) is Invalid and error.fields else [error_text(error)]
    for name, messages in error.fields.items():
        label = names.get(name) or field_label(name)
        texts.append(f"{label}: {' '.join(_(m) for m in messages)}")
    return texts


@bp.route("/deliveries")
@depot_only
def deliveries():
    """Shipped orders whose delivery is still to be confirmed, oldest first, a
    page at a time."""
    form = DeliverForm()
    form.delivered_on.data = region_today()
    return _deliveries_page(form, page=page_number(request.args.get("page")))


def _deliveries_page(form: DeliverForm, status: int = 200, *, page: int = 1,
                     **refused):  # fmt: skip
    """The page of deliveries to confirm; `refused`: a delivery refused, said
    beside its parcel's field with the day entered, on the page that shows it
    (orders confirmed meanwhile may have moved it to another). A parcel no
    longer to confirm gets its refusal above the list."""
    if refused:  # the other orders' fields offer today, as on the first view
        form.delivered_on.data = region_today()
    queue = shipping.orders_to_confirm(page)
    if refused and not _shows(queue, refused):
        moved = shipping.page_to_confirm(refused["refused_order"])
        if moved is not None and moved != queue.page:
            queue = shipping.orders_to_confirm(moved)
    if refused and not _shows(queue, refused):
        for message in refused.get("refusal") or refused.get("field_errors") or []:
            text = _("Beställning {order_id}: {message}",
                     order_id=refused["refused_order"], message=message)  # fmt: skip
            flash(text, "error")
        refused = {}
    return render("deliveries.html", status, queue=queue, form=form, **refused)


def _shows(queue: Page, refused: dict) -> bool:
    """The page shows the refused parcel's field (the template's `wrong`)."""
    parcel_id = refused.get("refused_parcel")
    for order, parcels in queue.items:
        if order.id == refused["refused_order"]:
            if parcel_id is None:  # the form of an order sent in one parcel
                return len(parcels) == 1
            return any(parcel.shipment_id == parcel_id for parcel in parcels)
    return False


@bp.route("/orders/<int:order_id>/deliver", methods=["POST"])
@depot_only
def deliver(order_id: int):
    """Confirm delivery of an order's shipped lines, or of one parcel of them
    (`shipment_id`), on the given day.

    A refused day is said beside that parcel's field, the day entered kept.
    """
    form = DeliverForm()
    parcel = form.shipment_id.data
    # The page the form was sent from: shown again, refused or not.
    page = page_number(request.form.get("page"))
    if not form.validate_on_submit():
        return _deliveries_page(
            form,
            422,
            page=page,
            refused_order=order_id,
            refused_parcel=parcel,
            refusal=[_("Ange leveransdag.")],
            entered=request.form.get("delivered_on", ""),
        )
    try:
        delivered = shipping.deliver_order(
            current_user,
            order_id,
            form.delivered_on.data,
            shipment_id=parcel,
            not_before_ordered=True,
        )
    except DomainError as error:
        if error.status == 404:  # a parcel of another order
            raise
        if "delivered_on" not in error.fields:
            flash_error(error)
            return redirect(url_for("fulfilment.deliveries", page=page))
        db.session.rollback()
        return _deliveries_page(
            form,
            422,
            page=page,
            refused_order=order_id,
            refused_parcel=parcel,
            refusal=[error_text(error)] if error.params else [],
            entered=form.delivered_on.data.isoformat(),
            field_errors=[_(m) for m in error.fields["delivered_on"]],
        )
    flash(_delivered_message(delivered), "success")
    return redirect(url_for("fulfilment.deliveries", page=page))


def _left(order, statuses) -> int:
    """The aids centre's lines of the order (not cancelled) still in `statuses`."""
    return sum(
        1
        for line in order.lines
        if line.channel == Channel.CENTRAL and line.status in statuses
    )


def _shipped_message(order) -> str:
    """A parcel sent: the whole order's part from the aids centre, or what of
    it is left (backordered lines, or lines not chosen for this parcel)."""
    left = _left(order, (LineStatus.RESERVED,))
    waiting = _left(order, (LineStatus.BACKORDERED,))
    if not left and not waiting:
        return _("Beställning {order_id} är skickad.", order_id=order.id)
    said = [_("Ett paket i beställning {order_id} är skickat.", order_id=order.id)]
    if left:
        said.append(ngettext("{n} rad är kvar att skicka.",
                             "{n} rader är kvar att skicka.", left))  # fmt: skip
    if waiting:
        said.append(ngettext("{n} rad väntar på varor.",
                             "{n} rader väntar på varor.", waiting))  # fmt: skip
    return " ".join(said)


def _delivered_message(order) -> str:
    """A parcel delivered: the whole order's part, or what is still on its way
    or not shipped yet."""
    left = _left(
        order, (LineStatus.RESERVED, LineStatus.BACKORDERED, LineStatus.SHIPPED)
    )
    if not left:
        return _("Beställning {order_id} är levererad.", order_id=order.id)
    return ngettext(
        "Ett paket i beställning {order_id} är levererat. {n} rad är inte "
        "levererad än.",
        "Ett paket i beställning {order_id} är levererat. {n} rader är inte "
        "levererade än.",
        left,
        order_id=order.id,
    )


@bp.route("/returns", methods=["GET", "POST"])
@depot_only
def consumable_returns():
    """Delivered stocked consumables that may still come back (14 days).

    Searched by order number, patient name or serial (POST, never in a URL),
    paged; nothing is listed unsearched (need to know: no patient read unasked).
    After a return, the order just handled (`?order=`, its number alone): the
    parcel in the clerk's hands often holds packs of its other lines.
    """
    search = ReturnSearchForm()
    text, page = "", 1
    if request.method == "POST":
        if not search.validate_on_submit():
            abort(400)
        text, page = search.q.data or "", page_number(request.form.get("page"))
    elif (handled := request.args.get("order", type=int)) is not None:
        search.q.data = str(handled)
        return _returns_page(search, "", 1, order_id=handled)
    return _returns_page(search, text, page)


def _returns_page(search, text: str, page: int, status: int = 200, refused=None,
                  order_id: int | None = None):  # fmt: skip
    """The lines the search finds (or one order's: `order_id`); `refused`: the
    return form of one of them, sent and refused, shown in its line with the
    values entered and the refusal beside its fields (else, the line no
    longer found, above them)."""
    form = ConsumableReturnForm(formdata=None)
    form.returned_on.data = region_today()
    result = registers.returnable(
        current_user, text, page, days=returns.RETURN_DAYS, order_id=order_id
    )
    if refused is not None and refused[0] not in {line.id for line, _p in result.rows}:
        for message in _refusal_texts(refused[1]):
            flash(message, "error")
        refused = None
    return render(
        "returns.html",
        status,
        result=result,
        late=result.late,  # nothing inside the window: too late, and when
        search=search,
        form=form,
        refused_line=refused[0] if refused else None,
        refused=refused[1] if refused else None,
        days=returns.RETURN_DAYS,
        # Lines never picked here (the old system's): their lot is asked for.
        unpicked=picking.unpicked(line.reference for line, _p in result.rows),
    )


def _refusal_texts(form) -> list[str]:
    """A refused form's messages in words, each field's named."""
    texts = list(form.form_errors)
    for name in RETURN_FIELDS:
        if form[name].errors:
            messages = " ".join(_(m) for m in form[name].errors)
            texts.append(f"{field_label(name)}: {messages}")
    return texts


# The fields of a line's return form on the returns page (the rest: above them).
RETURN_FIELDS = ("packs", "restock", "lot", "expiry", "returned_on")


@bp.route("/lines/<int:line_id>/return", methods=["POST"])
@depot_only
def return_line(line_id: int):
    """Take packs of a delivered line back: to stock, or scrapped.

    A refusal is said beside the line's fields, on the page of the search the
    clerk made (sent with the form), the values entered kept.
    """
    form = ConsumableReturnForm()
    text = registers.clean(request.form.get("q"))
    page = page_number(request.form.get("page"))
    search = ReturnSearchForm(formdata=None, q=text)
    if not form.validate_on_submit():
        for name, messages in form.errors.items():
            if name and name not in RETURN_FIELDS:  # the CSRF token
                form.form_errors.extend(_(m) for m in messages)
        return _returns_page(search, text, page, 422, refused=(line_id, form))
    restock = form.restock.data != "0"
    try:
        line = returns.return_consumables(
            current_user,
            line_id,
            form.returned_on.data,
            packs=form.packs.data,
            restock=restock,
            lot=form.lot.data or None,
            expiry=form.expiry.data,
        )
    except DomainError as error:
        if error.status == 404:
            raise
        db.session.rollback()
        form.form_errors.append(error_text(error))
        errors_beside_fields(form, error.fields)  # as receipts and counts do
        return _returns_page(search, text, page, 422, refused=(line_id, form))
    packs = form.packs.data
    words = {"article": line.article.name, "order_id": line.order_id}
    flash(
        ngettext(
            "{article}, beställning {order_id}: {n} förp. tillbaka i lager.",
            "{article}, beställning {order_id}: {n} förp. tillbaka i lager.",
            packs,
            **words,
        )
        if restock
        else ngettext(
            "{article}, beställning {order_id}: {n} förp. kasserad.",
            "{article}, beställning {order_id}: {n} förp. kasserade.",
            packs,
            **words,
        ),
        "success",
    )
    if line.status == LineStatus.RETURNED and withdrawals.back_whole(line):
        flash(
            _(
                "Alla förpackningar kom tillbaka oöppnade: uttaget är återlämnat till "
                "förskrivningen, så patienten kan beställa igen."
            ),
            "success",
        )
    return redirect(url_for("fulfilment.consumable_returns", order=line.order_id))


@bp.route("/receipts", methods=["GET", "POST"])
@depot_only
def receipt():
    """Receive goods; paste or scan a GS1 code and press Tolka to fill the form."""
    form = ReceiptForm()
    form.depot_code.choices = depot_choices()
    if not form.is_submitted() and (own := staff.own_depot(current_user)):
        form.depot_code.data = own.code
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
                traced=True,
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error_text(error))
            errors_beside_fields(form, error.fields)
            status = 422
        else:
            depot = done.lot.depot.code
            if done.lot.lot:
                received = ngettext(
                    "{n} förp. {article} inlevererad till parti {lot} i {depot}.",
                    "{n} förp. {article} inlevererade till parti {lot} i {depot}.",
                    done.packs, article=done.lot.article.name, lot=done.lot.lot,
                    depot=depot,
                )  # fmt: skip
            else:  # serial-numbered devices come in by serial, in no lot
                received = ngettext(
                    "{n} förp. {article} inlevererad till {depot}.",
                    "{n} förp. {article} inlevererade till {depot}.",
                    done.packs, article=done.lot.article.name, depot=depot,
                )  # fmt: skip
            flash(received, "success")
            if done.filled:  # nothing said when no waiting order got stock
                flash(
                    ngettext(
                        "{n} restnoterad beställningsrad är nu reserverad och "
                        "kan plockas.",
                        "{n} restnoterade beställningsrader är nu reserverade och "
                        "kan plockas.",
                        len(done.filled),
                    ),
                    "success",
                )
            return redirect(url_for("fulfilment.receipt"))
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
    """Cycle count: book the difference from the books with a reason code.

    The lots of one depot (?depot=id), the clerk's own when none is chosen.
    """
    form = CountForm()
    depots = _depots()
    chosen = _chosen_depot(depots)
    lots = picking.countable_lots(chosen)
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
                confirmed=bool(form.confirmed.data),
            )
        except DomainError as error:
            flash_error(error)
            errors_beside_fields(form, error.fields)
            status = 422
        else:
            flash(
                ngettext(
                    "Inventering bokförd: differens {difference} förp., "
                    "nytt saldo {on_hand}.",
                    "Inventering bokförd: differens {difference} förp., "
                    "nytt saldo {on_hand}.",
                    abs(difference),
                    difference=ReadersNumber(difference),
                    on_hand=ReadersNumber(lot.on_hand),
                ),
                "success",
            )
            return redirect(url_for("fulfilment.count", depot=lot.depot_id))
    elif request.method == "POST":
        status = 422
    return render(
        "count.html", status, form=form, lots=lots, reasons=COUNT_REASON_LABELS,
        far_off=picking.COUNT_FAR_OFF, depots=depots, chosen=chosen,
    )  # fmt: skip


# A device a supplier delivered to the patient without reporting its serial.
UNREGISTERED_HINT = N_(
    "Lämnade leverantören enheten direkt till patienten? Sök leveransen under "
    "”Levererade utan serienummer” nedan."
)


def _with_reasons(form):
    """A device return form with its reasons in the reader's language, none
    chosen: the reason decides what happens next (a warranty replacement for
    a faulty one), so the clerk picks it rather than taking the first."""
    form.reason.choices = [
        SelectChoice("", _("Välj orsak")),
        *choices(RETURN_REASON_LABELS, _),
    ]
    return form


def _received(device):
    flash(
        _("{serial_no} är mottagen och står i karantän.", serial_no=device.serial_no),
        "success",
    )
    return redirect(url_for("fulfilment.device_returns"))


@bp.route("/devices", methods=["GET", "POST"])
@depot_only
def device_returns():
    """Devices on loan (listed only when searched, paged) and returns;
    recondition, scrap or replace those in quarantine."""
    form = _with_reasons(DeviceReturnForm())
    search = LoanSearchForm()
    text, page = "", 1
    if request.method == "GET" or "search" in request.form:
        form.returned_on.data = region_today()
    if request.method == "GET":
        _ready_to_return(form, request.args.get("device", type=int))
    status = 200
    if "search" in request.form:
        if not search.validate_on_submit():
            abort(400)
        text, page = search.q.data or "", page_number(request.form.get("page"))
    elif form.validate_on_submit():
        try:
            device = returns.return_device(
                current_user,
                form.serial_no.data,
                form.reason.data,
                form.returned_on.data,
            )
        except DomainError as error:
            status = 422
            db.session.rollback()
            back = devices.quarantined_with_serial(form.serial_no.data)
            if error.status == 404 and back is not None:
                # Returned once already: said so, not "no device on loan".
                again = DeviceAlreadyInQuarantine(
                    serial_no=back.serial_no,
                    article=back.article.name,
                    day=ReadersDate.of(back.returned_on) if back.returned_on else "–",
                )
                form.serial_no.errors = [error_text(again)]
            elif error.status == 404:
                # A mistyped serial (or a patient not ours: said alike, so
                # nothing leaks) beside the field, the values entered kept.
                unknown = DeviceNotFound(serial_no=form.serial_no.data.strip())
                form.serial_no.errors = [error_text(unknown), UNREGISTERED_HINT]
            else:
                _device_refusal(form, error)
        else:
            return _received(device)
    elif request.method == "POST":
        status = 422
    return _devices_page(status, form=form, search=search, text=text, page=page)


def _ready_to_return(form, device_id: int | None) -> None:
    """The return form filled for a device on loan that a list links to
    (`?device=id`, the devices due back after an end of care): its serial,
    and the end of the therapy as the reason (the clerk may change it)."""
    lent = devices.on_loan_with_id(device_id) if device_id else None
    if lent is not None:
        form.serial_no.data = lent.serial_no
        form.reason.data = devices.ReturnReason.THERAPY_ENDED


@bp.route("/devices/unregistered", methods=["POST"])
@depot_only
def unregistered_return():
    """Find a device delivered without a serial number (by the patient's name
    or the order number), and take it back under the serial read off it."""
    find = UnregisteredSearchForm(prefix="find")
    form = _with_reasons(UnregisteredReturnForm(prefix="unregistered"))
    if "find-q" in request.form:
        if not find.validate_on_submit():
            abort(400)
        form = _with_reasons(
            UnregisteredReturnForm(prefix="unregistered", formdata=None)
        )
        form.q.data = find.q.data or ""
        form.returned_on.data = region_today()
        return _devices_page(200, unregistered=form, find=find)
    if form.validate_on_submit():
        try:
            device = returns.return_device(
                current_user,
                form.serial_no.data,
                form.reason.data,
                form.returned_on.data,
                line_id=form.line_id.data,
            )
        except DomainError as error:
            db.session.rollback()
            _device_refusal(form, error)
        else:
            return _received(device)
    find = UnregisteredSearchForm(prefix="find", formdata=None, q=form.q.data)
    return _devices_page(422, unregistered=form, find=find)


def _device_refusal(form, error: DomainError) -> None:
    """Each refusal of a device return form beside the field it is about (the
    form's own errors above its fields), the values entered kept."""
    if error.fields:
        errors_beside_fields(form, error.fields)
    elif error.code in ("serial_on_loan", "duplicate_serial", "device_not_found"):
        form.serial_no.errors = [*form.serial_no.errors, error_text(error)]
    elif error.status == 404 and "line_id" in form:  # not among those searched
        form.line_id.errors = [_("Välj en av leveranserna i listan.")]
    else:
        form.form_errors.append(error_text(error))


def _devices_page(status: int, *, form=None, search=None, text="", page=1,
                  unregistered=None, find=None, scrap_asked=None):  # fmt: skip
    """The devices page; the forms not sent are shown empty; `scrap_asked`:
    the device in quarantine whose scrapping is to be confirmed."""
    if form is None:
        form = _with_reasons(DeviceReturnForm(formdata=None))
        form.returned_on.data = region_today()
    if unregistered is None:
        unregistered = _with_reasons(
            UnregisteredReturnForm(prefix="unregistered", formdata=None)
        )
        unregistered.returned_on.data = region_today()
    quarantined = devices.in_quarantine()
    return render(
        "devices.html",
        status,
        form=form,
        search=search or LoanSearchForm(formdata=None),
        loans=registers.on_loan(current_user, text, page),
        unregistered=unregistered,
        find=find or UnregisteredSearchForm(prefix="find", formdata=None),
        delivered=registers.unregistered(current_user, unregistered.q.data or ""),
        devices=quarantined,
        scrap_asked=next((d for d in quarantined if d.id == scrap_asked), None),
        replaced=returns.replaced_devices(quarantined),
        reasons=RETURN_REASON_LABELS,
        actions=EmptyForm(),
    )


@bp.route("/devices/<int:device_id>/<action>", methods=["POST"])
@depot_only
def device_action(device_id: int, action: str):
    """Recondition, scrap or replace a device in quarantine."""
    # Each answer names the device: with a queue of returns, "the device"
    # does not say which one.
    use_cases = {
        "recondition": (
            returns.recondition_device,
            N_("{article} {serial} är åter i lager."),
        ),
        "scrap": (returns.scrap_device, N_("{article} {serial} är kasserad.")),
        "replace": (
            returns.replace_device,
            N_("Ersättning beställd under garanti: beställning {order_id}."),
        ),
    }
    if action not in use_cases:
        abort(404)
    if EmptyForm().validate_on_submit():
        if action == "scrap" and request.form.get("confirmed") != "1":
            # A pump of 30,000 kr scrapped for good by one click: the first
            # press asks, naming the device (as scrapping a lot does).
            if any(d.id == device_id for d in devices.in_quarantine()):
                return _devices_page(200, scrap_asked=device_id)
        use_case, done = use_cases[action]
        try:
            outcome = use_case(current_user, device_id)
        except DomainError as error:
            flash_error(error)
        else:
            if action == "replace":  # the new order, not the device
                flash(_(done, order_id=outcome.id), "success")
            else:
                device = outcome
                flash(
                    _(done, article=device.article.name, serial=device.serial_no),
                    "success",
                )
    return redirect(url_for("fulfilment.device_returns"))


from sesamlike.fulfilment import (  # noqa: E402,F401  (routes on bp)
    backorder_views,
    due_back_views,
    lot_views,
    put_back_views,
)
from sesamlike.fulfilment import views as depot_views  # noqa: E402,F401  (routes on bp)
