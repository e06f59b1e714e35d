"""Login, logout, the start page per role, language choice and user list."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from sesamlike.accounts import identity
from sesamlike.accounts.forms import EmptyForm, LoginForm
from sesamlike.accounts.models import Role, User
from sesamlike.accounts.navigation import ROLE_NAMES, navigation_for
from sesamlike.common.i18n import LOCALES, _
from sesamlike.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


@bp.app_context_processor
def inject_navigation():
    if current_user.is_authenticated:
        return {
            "navigation": navigation_for(current_user.role),
            "role_name": ROLE_NAMES.get(current_user.role, current_user.role),
            "empty_form": EmptyForm(),
        }
    return {"navigation": [], "role_name": "", "empty_form": EmptyForm()}


def _safe_next(target: str | None) -> str | None:
    """Only follow ?next= to a path on this site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def _login_account() -> str:
    return "login-account:" + (request.form.get("username") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(
    # Only failed attempts count; once over, even the right password waits.
    lambda: current_app.config["LOGIN_FAILURES_PER_ACCOUNT"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
)
def login():
    """Log in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        credentials = {"username": form.username.data, "password": form.password.data}
        user = identity.provider().authenticate(credentials)
        if user is None:
            flash(_("Fel användarnamn eller lösenord."), "error")
            return render_template("accounts/login.html", form=form), 401
        chosen_locale = session.get("locale")
        session.clear()  # a fresh session at login: no fixation
        login_user(user)
        if chosen_locale in LOCALES:  # chosen on the login page: keep and remember it
            session["locale"] = user.locale = chosen_locale
            db.session.commit()
        elif user.locale in LOCALES:
            session["locale"] = user.locale
        return redirect(
            _safe_next(request.args.get("next")) or url_for("accounts.home")
        )
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and forget the session."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/")
@login_required
def home():
    """Show the start page for the user's role."""
    return render_template("accounts/home.html")


@bp.route("/language", methods=["POST"])
def language():
    """Switch the interface language (Swedish or English)."""
    form = EmptyForm()
    chosen = request.form.get("locale")
    if not form.validate_on_submit() or chosen not in LOCALES:
        abort(400)
    session["locale"] = chosen
    if current_user.is_authenticated:
        current_user.locale = chosen
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.home"))


@bp.route("/admin/users")
@login_required
def users():
    """List logins with role, clinics and last login (admins only)."""
    if current_user.role != Role.ADMIN:
        abort(403)
    rows = db.session.scalars(
        sa.select(User)
        .options(sa.orm.selectinload(User.clinics))
        .order_by(User.role, User.username)
    ).all()
    return render_template("accounts/users.html", users=rows, role_names=ROLE_NAMES)
