"""The patient portal: my aids, choosing a child, orders. Reordering: reorder_views.

A patient acts for themselves. A guardian chooses a child; the choice is kept in
the session and asked of the access rules again on every request, so a removed
guardian link or a newly protected identity takes effect at once.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from sesamlike.accounts.models import Role
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _, get_locale
from sesamlike.common.urls import same_site_path
from sesamlike.orders import shipto
from sesamlike.orders import status as order_status
from sesamlike.portal import services
from sesamlike.portal.display import (
    child_name,
    order_rows,
    render,
    render_part,
    running_out,
)
from sesamlike.portal.forms import ChooseChildForm
from sesamlike.portal.kept import kept_pages, messages_waiting, session_page_key

bp = Blueprint("portal", __name__, url_prefix="/portal")

CHOSEN = "portal_patient_id"
# The guardian has one child to act for: no "Byt barn" to a list of one.
# Asked again with the access rules on every request (`acting_patient_id`),
# so a child linked or unlinked meanwhile shows on the next page.
ONE_CHILD = "portal_one_child"


def portal_page(view):
    """Logged in as a patient or guardian; anyone else may not use the portal."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role not in services.PORTAL_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def acting_patient_id() -> int:
    """The patient this request acts for, checked again; else off to choose one."""
    user = current_user._get_current_object()
    if user.role == Role.PATIENT:
        patient_id = services.own_patient_id(user)
        if patient_id is None:
            abort(404)
        return patient_id
    chosen = session.get(CHOSEN)
    if chosen is None:
        chosen = _only_child(user)
    if chosen is None:
        # Back to the page asked for once a child is chosen ("Vem har tittat").
        asked = request.full_path.rstrip("?") if request.method == "GET" else None
        if asked == url_for("portal.my_aids"):
            asked = None  # where choosing leads anyway
        abort(redirect(url_for("portal.choose_patient", next=asked)))
    allowed, one_child = services.may_act_for_child(user, chosen)
    if not allowed:
        session.pop(CHOSEN, None)
        session.pop(ONE_CHILD, None)
        flash(_("Du kan inte längre göra ärenden för det barnet här."), "error")
        abort(redirect(url_for("portal.choose_patient")))
    if one_child != session.get(ONE_CHILD, False):  # the cookie changes only then
        if one_child:
            session[ONE_CHILD] = True
        else:
            session.pop(ONE_CHILD, None)
    return chosen


def _only_child(user) -> int | None:
    """A guardian of one child acts for that child without choosing (chosen,
    and audited, as by the button): the choice was a tap at every login, at
    night on a phone (the portal walkthrough). A protected child cannot be
    chosen: the choosing page says why."""
    child_id = services.only_child(user)  # not audited: nothing shown
    if child_id is None:
        return None
    try:
        services.choose_child(user, child_id)  # audited
    except DomainError:
        return None
    session[CHOSEN] = child_id
    session[ONE_CHILD] = True
    return child_id


def follow_link_to(patient_id: int | None) -> None:
    """A mail's link (or an order page's cancel button) names an order or a
    prescription: a guardian who may act for its patient acts for that child
    from now on (audited as choosing is). Anyone else's changes nothing: the
    page answers as for no such thing."""
    user = current_user._get_current_object()
    if patient_id is None or patient_id == session.get(CHOSEN):
        return
    if services.may_act_for(user, patient_id):
        services.choose_child(user, patient_id)
        # Whether it is the only child: acting_patient_id, which follows.
        session[CHOSEN] = patient_id


@bp.route("/")
@portal_page
def my_aids():
    """Show prescriptions, devices on loan and recent orders."""
    patient_id = acting_patient_id()
    user = current_user._get_current_object()
    opened = services.open_my_aids(user, patient_id)
    # The body is built from the patient's data alone (portal.kept says what
    # its key holds); the access check and audit row above come first.
    # The end of the patient's care in the region (a move out) changes what
    # the page offers, and its undo changes no version of the data.
    key = ("my_aids", *opened.version, user.role, get_locale(),
           opened.patient.care_ended_reason)  # fmt: skip
    kept = kept_pages()
    page_key = session_page_key(key, opened.patient)
    if page_key is not None and (page := kept.get(page_key)) is not None:
        kept.get(key)  # its body is in use: not the first to fall out
        services.commit_reads()
        return page
    # Asked before building: showing the page takes the messages waiting.
    keep_page = not messages_waiting()
    body = kept.get(key)
    if body is None:
        aids = services.my_aids(user, patient_id, opened=opened)
        # Built for the day in its key, also if midnight passes meanwhile.
        today = opened.today
        body = render_part(
            "_my_aids_body.html",
            today,
            aids=aids,
            running_out=running_out(aids, today),
            order_rows=order_rows(aids.orders, today, child_name(user, opened.patient)),
        )
        kept.put(key, body)
    else:
        services.commit_reads()
    page, status = render("my_aids.html", patient=opened.patient, body=body)
    # Keyed after building: the first page of a session makes its form token.
    if keep_page and (page_key := session_page_key(key, opened.patient)) is not None:
        kept.put(page_key, page)
    return page, status


@bp.route("/choose", methods=["GET", "POST"])
@portal_page
def choose_patient():
    """Let a guardian choose which child to act for."""
    if current_user.role != Role.GUARDIAN:
        return redirect(url_for("portal.my_aids"))
    form = ChooseChildForm()
    if form.validate_on_submit():
        patient = services.choose_child(current_user, form.patient_id.data)
        session[CHOSEN] = patient.id  # the acting-for banner on every page says so
        session.pop(ONE_CHILD, None)  # chosen from a list: "Byt barn" again
        return redirect(
            _portal_page(request.form.get("next")) or url_for("portal.my_aids")
        )
    if form.is_submitted():
        abort(400)
    if _one_to_act_for(current_user):
        # Nobody to choose between ("Mina barn", or "Byt barn" on a page
        # kept from before, of a guardian of one child): a list of one.
        return redirect(
            _portal_page(request.args.get("next")) or url_for("portal.my_aids")
        )
    kids = services.children(current_user)
    return render(
        "choose_patient.html",
        children=kids,
        ended=services.ended_links(current_user),
        chosen=session.get(CHOSEN),
        next=_portal_page(request.args.get("next")),
    )


def _one_to_act_for(user) -> bool:
    """Whether the guardian has one child to act for (chosen now, if it was
    not): also once chosen, say through a mail's link, whose choice left
    "Byt barn" on the pages."""
    child_id = services.only_child(user)  # not audited: nothing shown
    if child_id is None:
        session.pop(ONE_CHILD, None)
        return False
    if session.get(CHOSEN) == child_id:
        session[ONE_CHILD] = True
        return True
    return _only_child(user) is not None


def _portal_page(target: str | None) -> str | None:
    """`target` if it is a portal page to go on to after choosing, else None."""
    path = same_site_path(target)
    if path is None or not path.startswith(bp.url_prefix + "/"):
        return None
    if path.startswith(url_for("portal.choose_patient")):
        return None
    return path


@bp.route("/prescriptions/<int:prescription_id>")
@portal_page
def prescription(prescription_id: int):
    """Show one prescription: what is left, when to order next, the run-out."""
    if current_user.role == Role.GUARDIAN:  # a link to another child's (as orders)
        follow_link_to(services.patient_of_prescription(prescription_id))
    patient_id = acting_patient_id()
    row = services.prescription_for(current_user, patient_id, prescription_id)
    return render(
        "prescription.html",
        row=row,
        rx=row.prescription,
        clinics=services.caring_clinics(patient_id),
    )


@bp.route("/orders")
@portal_page
def orders():
    """List every order, newest first."""
    patient_id = acting_patient_id()
    patient, found = services.all_orders(current_user, patient_id)
    rows = order_rows(found, child=child_name(current_user, patient))
    return render("orders.html", patient=patient, orders=found, order_rows=rows)


@bp.route("/orders/<int:order_id>")
@portal_page
def order(order_id: int):
    """Show one order: status, lines, delivery, tracking; cancel it if not shipped."""
    if current_user.role == Role.GUARDIAN:  # the order mail's link (a GET)
        follow_link_to(services.patient_of_order(order_id))
    patient_id = acting_patient_id()
    found = services.order_for(current_user, patient_id, order_id)
    shipped = shipto.ship_to(found)
    handed = order_status.handovers(found.lines)
    return render(
        "order.html", order=found, patient=found.patient, ship_to=shipped,
        pharmacy_apart=shipto.pharmacy_lines_apart(found, shipped),
        handed=handed,
        cancel_refusal=services.cancel_refusal(current_user, found, handed),
        cancellable_lines=services.cancellable_lines(current_user, found, handed),
        # Gone out in part: what the patient can do about its e-recepts.
        erecept_refusal=None if found.cancellable
        else services.erecept_refusal(current_user, found, handed),
        clinics=services.caring_clinics(patient_id),
    )  # fmt: skip


from sesamlike.portal import (  # noqa: E402
    audit_views,  # noqa: F401  (access log on bp)
    reminder_views,  # noqa: F401
    reorder_views,  # noqa: F401
)
