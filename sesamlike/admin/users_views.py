"""Account administration: search, create, change, deactivate, unlock, reset.

Routes are thin: each calls one use case of `accounts.administration`, which
checks the rules, writes the audit row and commits. A refusal shows in Swedish
beside the form and writes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from sesamlike.accounts import account_details, administration
from sesamlike.accounts.forms import EmptyForm
from sesamlike.accounts.models import Clinic, Role
from sesamlike.accounts.navigation import ROLE_NAMES
from sesamlike.accounts.views import password_link_url
from sesamlike.admin.forms import ROLE_CHOICES, AccountForm, NewAccountForm
from sesamlike.admin.views import bp
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _, ngettext
from sesamlike.common.paging import page_number
from sesamlike.common.refusals import show_refusal
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.jobs import scheduler_alive
from sesamlike.stock import staff
from sesamlike.stock.views import depot_choices


def _admin():
    return current_user._get_current_object()


_link_url = password_link_url  # as the user will open it


def link_queued(email: str | None = None) -> tuple[str, str]:
    """What became of a mailed password link, and the message's category.

    The link is put in the mail outbox in the same commit; the scheduler's
    send_mail job sends it within a minute, or not at all while no scheduler
    runs, and a send that fails shows on the jobs page. So the page never
    says the mail has been sent."""
    if not scheduler_alive(utcnow()):
        if email:
            text = _("En länk för att välja lösenord har lagts i kö till {email}, "
                     "men ingen schemaläggare är igång: den skickas först när "
                     "schemaläggaren startas.", email=email)  # fmt: skip
        else:
            text = _("En länk för att välja nytt lösenord har lagts i kö, men ingen "
                     "schemaläggare är igång: den skickas först när schemaläggaren "
                     "startas.")  # fmt: skip
        return text, "info"
    if email:
        text = _("En länk för att välja lösenord har lagts i kö till {email} och "
                 "skickas inom någon minut.", email=email)  # fmt: skip
    else:
        text = _("En länk för att välja nytt lösenord har lagts i kö och skickas "
                 "inom någon minut.")  # fmt: skip
    return text + " " + _("Ett misslyckat utskick syns under Schemalagda jobb."), (
        "success"
    )


def _clinic_choices() -> list[tuple[str, str]]:
    return [
        (c.code, f"{c.code} {c.name}")
        for c in db.session.scalars(sa.select(Clinic).order_by(Clinic.code))
    ]


def _depot_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("Inget eget lager")), *depot_choices()]


@bp.route("/users")
def users():
    """Search accounts by username, name or e-mail, and by role; paged."""
    text = request.args.get("q", "").strip()[:80]
    role = request.args.get("role", "")
    found = administration.search(
        _admin(), text, role, page_number(request.args.get("page"))
    )
    return render_template(
        "admin/users.html", found=found, q=text, role=role, role_names=ROLE_NAMES,
        roles=[r.value for r in Role],
    )  # fmt: skip


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Create a staff account; its password is chosen through a mailed link."""
    form = NewAccountForm()
    form.clinics.choices = _clinic_choices()
    form.depot_code.choices = _depot_choices()
    if form.validate_on_submit():
        try:
            depot = staff.depot_for(form.role.data, form.depot_code.data)
            user = administration.create(
                _admin(),
                username=form.username.data or "",
                role=form.role.data,
                clinic_codes=form.clinics.data or [],
                display_name=form.display_name.data or "",
                email=form.email.data,
                first_time_prescriber=form.first_time_prescriber.data,
                link_url=_link_url,
            )
        except DomainError as error:
            show_refusal(error, form)
        else:
            if staff.set_own_depot(_admin(), user, depot):
                db.session.commit()
            queued, category = link_queued(user.email)
            flash(
                _("Kontot {username} är skapat.", username=user.username)
                + " " + queued, category,
            )  # fmt: skip
            return redirect(url_for("admin.user", user_id=user.id))
    elif request.method == "POST":
        flash(_("Kontrollera uppgifterna i formuläret."), "error")
    # The role is chosen in the same form: every field is offered, and the
    # service refuses those the chosen role does not take.
    return render_template(
        "admin/user_form.html", form=form, user=None, role_names=ROLE_NAMES,
        offer_clinics=True, offer_first_time=True,
    )  # fmt: skip


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    """Show an account and change its roles, clinics and first-time right.

    A patient's or guardian's login shows no name or e-mail."""
    try:
        account = administration.account_shown(_admin(), user_id)
    except DomainError:
        abort(404)
    form = AccountForm(obj=None if request.method == "POST" else account)
    form.clinics.choices = _clinic_choices()
    form.depot_code.choices = _depot_choices()
    portal = account.role in (Role.PATIENT, Role.GUARDIAN)
    if portal:
        form.role.choices = [(account.role, ROLE_NAMES[account.role])]
    if request.method == "GET":
        form.clinics.data = [c.code for c in account.clinics]
        own = None if portal else staff.own_depot(account)
        form.depot_code.data = own.code if own is not None else ""
    if request.method == "POST" and form.validate_on_submit():
        try:
            depot = (
                None
                if portal
                else staff.depot_for(form.role.data, form.depot_code.data)
            )
            changed = administration.update(
                _admin(), user_id, role=form.role.data,
                clinic_codes=form.clinics.data or [],
                display_name=form.display_name.data or "", email=form.email.data,
                first_time_prescriber=form.first_time_prescriber.data,
            )  # fmt: skip
        except DomainError as error:
            show_refusal(error, form)
        else:
            if staff.set_own_depot(_admin(), changed, depot):
                db.session.commit()
            flash(_("Ändringarna är sparade."), "success")
            return redirect(url_for("admin.user", user_id=user_id))
    elif request.method == "POST":
        flash(_("Kontrollera uppgifterna i formuläret."), "error")
    locked = bool(administration.locked_usernames([account]))
    # Offered for the account's role (after a refused change: the role asked
    # for), and wherever a refusal has to be shown and undone.
    role = form.role.data or account.role
    return render_template(
        "admin/user_form.html", form=form, user=account, locked=locked,
        role_names=ROLE_NAMES, portal=portal, role_choices=ROLE_CHOICES,
        offer_clinics=account_details.offers_clinics(role) or bool(form.clinics.errors),
        offer_first_time=account_details.offers_first_time_right(role)
        or bool(form.first_time_prescriber.errors),
    )  # fmt: skip


def _account_action(user_id: int, action, done) -> object:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = action(_admin(), user_id)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(done(result), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
def deactivate_user(user_id: int):
    """Deactivate an account: its sessions and API tokens end at once."""
    return _account_action(
        user_id, administration.deactivate,
        lambda counts: _("Kontot är avstängt.") + " " + ngettext(
            "{n} inloggning avslutad", "{n} inloggningar avslutade", counts[0]
        ) + ", " + ngettext(
            "{n} API-nyckel spärrad.", "{n} API-nycklar spärrade.", counts[1]
        ),
    )  # fmt: skip


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate_user(user_id: int):
    """Let a deactivated account log in again."""
    return _account_action(
        user_id, administration.reactivate, lambda _user: _("Kontot är aktivt igen.")
    )


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
def unlock_user(user_id: int):
    """Lift the lock set after too many failed logins."""
    return _account_action(
        user_id, administration.unlock,
        lambda was: _("Kontot är upplåst.") if was else _("Kontot var inte låst."),
    )  # fmt: skip


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
def password_link(user_id: int):
    """Mail a one-time link to choose a new password."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        administration.send_password_link(_admin(), user_id, _link_url)
    except DomainError as error:
        show_refusal(error)
    else:
        flash(*link_queued())
    return redirect(url_for("admin.user", user_id=user_id))
