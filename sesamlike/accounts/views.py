"""Login, logout, the start page per role, language choice, the password link."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import (
    current_user,
    login_required,
    login_url,
    login_user,
    logout_user,
)
from flask_wtf.csrf import CSRFError
from werkzeug.local import LocalProxy

from sesamlike.accounts import (
    forgotten_password,
    identity,
    kept_forms,
    password_links,
    sessions,
)
from sesamlike.accounts.errors import PasswordLinkInvalid
from sesamlike.accounts.forms import (
    EmptyForm,
    ForgottenPasswordForm,
    LoginForm,
    PasswordLinkForm,
)
from sesamlike.accounts.logins import LoginLocked
from sesamlike.accounts.models import User
from sesamlike.accounts.navigation import ROLE_NAMES, navigation_for
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import LOCALES, N_, _
from sesamlike.common.urls import public_url, same_site_path
from sesamlike.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of an open server-side session; ended sessions are anonymous."""
    return sessions.user_for_session(user_id)


@login_manager.unauthorized_handler
def unauthorized():
    """To the login page, and back after it (`next`). When this request found
    the session run out (idle too long), the login page says so, and that a
    form sent with it was not saved: otherwise a nurse back from a patient
    finds an empty login page and the form she filled in gone, unexplained."""
    if g.get("session_ran_out"):
        minutes = current_app.config["SESSION_IDLE_MINUTES"]
        if request.method == "POST" and kept_forms.keep():
            flash(_("Din inloggning gick ut efter {minutes} minuter utan "
                    "aktivitet, så det du skickade är inte sparat än. Logga in "
                    "igen: formuläret fylls i med det du skrev, så att du kan "
                    "spara det.", minutes=minutes),
                  "error")  # fmt: skip
        elif request.method == "POST":
            flash(_("Din inloggning gick ut efter {minutes} minuter utan "
                    "aktivitet, så det du skickade kunde inte sparas. Logga in "
                    "igen och fyll i formuläret på nytt.", minutes=minutes),
                  "error")  # fmt: skip
        else:
            flash(_("Din inloggning gick ut efter {minutes} minuter utan "
                    "aktivitet. Logga in igen.", minutes=minutes), "info")  # fmt: skip
    return redirect(login_url(login_manager.login_view, next_url=request.url))


@bp.app_errorhandler(CSRFError)
def form_without_session(error: CSRFError):
    """A form whose token no longer matches the session. Sent by someone
    logged out meanwhile (in another tab, or by an administrator), it leads to
    the login page with a word on why, as a run-out session's form does;
    from a login still open (a forged or mixed-up form) it stays a 400."""
    if current_user.is_authenticated or request.endpoint == "accounts.login":
        return render_template("error.html", code=400), 400
    if not g.get("session_ran_out"):
        flash(
            _("Du är inte inloggad längre, så det du skickade kunde inte "
              "sparas. Logga in igen och fyll i formuläret på nytt."),
            "error",
        )  # fmt: skip
    return unauthorized()


@bp.app_context_processor
def inject_navigation():
    if current_user.is_authenticated:
        return {
            "navigation": navigation_for(current_user.role),
            "role_name": ROLE_NAMES.get(current_user.role, current_user.role),
            "empty_form": _EMPTY_FORM,
        }
    return {"navigation": [], "role_name": "", "empty_form": _EMPTY_FORM}


@bp.app_template_global()
def page_to_return_to() -> str:
    """Where switching language leads back to: this page. A page shown in
    answer to a form (a POST: a summary, a form with its faults) reopens its
    address when that shows a page, rather than the start page; a form that
    only posts has none ("": the start page)."""
    if request.method == "GET":
        return request.full_path
    rule = request.url_rule
    return request.path if rule is not None and "GET" in (rule.methods or ()) else ""


def _empty_form() -> EmptyForm:
    # Only rendered (the CSRF token of a POST button): never reads the body,
    # so an error page for a body too large (413) can still be shown. Made when
    # a page first uses it, once per request: most pages never do.
    form = g.get("sesamlike_empty_form")
    if form is None:
        form = g.sesamlike_empty_form = EmptyForm(formdata=None)
    return form


_EMPTY_FORM = LocalProxy(_empty_form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def login():
    """Log in with username and password.

    Failed attempts per username lock it for a while (`accounts.logins`); the
    session lives on the server (`accounts.sessions`), so logout ends it.
    """
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        credentials = {"username": form.username.data, "password": form.password.data}
        try:
            user = identity.provider().authenticate(credentials)
        except LoginLocked:
            abort(429)
        if user is None:
            flash(_("Fel användarnamn eller lösenord."), "error")
            return render_template("accounts/login.html", form=form), 401
        chosen_locale = session.get("locale")
        # A form this user sent after the login ran out, in this browser.
        ran_out = sessions.ended_session_id(user, session.get(sessions.SESSION_KEY))
        session.clear()  # a fresh session at login: no fixation
        login_user(user)
        kept_forms.carry_over(user, ran_out, sessions.start(user))
        if chosen_locale in LOCALES:  # chosen on the login page: keep and remember it
            session["locale"] = user.locale = chosen_locale
        elif user.locale in LOCALES:
            session["locale"] = user.locale
        db.session.commit()
        return redirect(
            same_site_path(request.args.get("next")) or url_for("accounts.home")
        )
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and forget the session."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    locale = session.get("locale")
    sessions.end_current()  # on the server: a copy of the cookie is worth nothing
    db.session.commit()
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
    return redirect(
        same_site_path(request.form.get("next")) or url_for("accounts.home")
    )


def password_link_url(token: str) -> str:
    """A password link as the user will open it (PUBLIC_URL behind a proxy)."""
    return public_url(url_for("accounts.password_link", token=token))


@bp.route("/password/forgotten", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def forgot_password():
    """Ask for a link to choose a new password, by username or e-mail address:
    the same answer whether an account was found or not."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        forgotten_password.request_link(form.identifier.data, password_link_url)
        flash(_(LINK_ASKED, hours=password_links.PASSWORD_LINK_HOURS), "info")
        return redirect(url_for("accounts.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("accounts/forgotten_password.html", form=form), status


# Staff are never mailed a link here (forgotten_password): the one answer for
# every account tells them, without saying whether theirs exists, whom to ask.
LINK_ASKED = N_(
    "Om uppgiften hör till en patients eller vårdnadshavares konto med "
    "e-postadress har vi skickat en länk dit för att välja ett nytt lösenord. Den "
    "fungerar en gång, i {hours} timmar. Kommer inget mejl inom några minuter, "
    "kontakta din diabetesmottagning. Personal får ingen länk här: be regionens "
    "administratör om ett nytt lösenord."
)


@bp.route("/password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
def password_link(token: str):
    """Choose a password through a one-time link sent by mail."""
    after_this_request(_no_referer)
    try:
        user = password_links.link_user(token)
    except DomainError as error:
        db.session.rollback()
        return render_template("accounts/password_link.html", refused=error), 410
    form = PasswordLinkForm()
    if form.validate_on_submit():
        try:
            password_links.set_password_by_link(
                token, form.password.data, form.repeated.data
            )
        except PasswordLinkInvalid as error:  # used meanwhile, by another request
            db.session.rollback()
            return render_template("accounts/password_link.html", refused=error), 410
        except DomainError as error:
            db.session.rollback()
            form.add_errors(error.fields)
            flash(_(error.message, **error.params), "error")
        else:
            flash(_("Ditt lösenord är sparat. Logga in med det nu."), "success")
            return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/password_link.html", form=form, username=user.username,
        refused=None,
    )  # fmt: skip


def _no_referer(response):
    """The link's page sends no Referer: its address holds the token, which
    would reach the logs of whatever the page loads or leads to."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
