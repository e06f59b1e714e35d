"""Sesamlike: ordering and follow-up of diabetes aids."""

from __future__ import annotations

import importlib

from flask import Flask, g, make_response, render_template, request

from sesamlike.common.errors import DomainError, Forbidden, NotVisible
from sesamlike.common.i18n import _
from sesamlike.config import Config
from sesamlike.extensions import csrf, db, limiter, login_manager, migrate

# Each area with pages has views.bp; the API is one blueprint of its own.
BLUEPRINTS = (
    "accounts",
    "catalog",
    "patients",
    "prescriptions",
    "orders",
    "fulfilment",
    "portal",
    "stock",
    "followup",
    "channels",
    "admin",
    "health",
)
COMMAND_MODULES = (
    "sesamlike.admin.commands",
    "sesamlike.catalog.commands",
    "sesamlike.stock.commands",
    "sesamlike.orders.commands",
    "sesamlike.demo.commands",
    "sesamlike.channels.commands",
    "sesamlike.followup.commands",
    "sesamlike.jobs",
)


def create_app(config: object | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_object(config or Config())
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    connect_areas()
    return app


def connect_areas() -> None:
    """What a lower area asks of a higher one, given here: the order pages
    say whether the supplier file or e-recept has gone, and cancelling an
    order withdraws its e-recepts (channels); the prescriptions page, which
    orders on a prescription are on their way (orders); a patient's overview,
    what the prescriber's own clinics paid for the patient (followup); the
    audit log, which patients a portal login acts for (patients), so an act on
    the login shows in their access log; the mail sender, whether a guardian
    may still hear of the child when the mail's turn comes (patients), and a
    prescriber of the patient (orders); and
    protected identity, set, sends the patient's open orders to the clinic,
    and an ended care relationship those waiting for that clinic to the one
    caring now (orders); the end of a patient's care in the region, what it
    stops (orders, prescriptions) and the devices expected back (orders), and
    the sender, that no notice about such a patient goes (patients); the
    catalogue import, which articles have been delivered, whose amortisation,
    category and serial tracking then stay (orders)."""
    from sesamlike.accounts import audit
    from sesamlike.catalog import services as catalogue
    from sesamlike.channels import handover, pharmacy
    from sesamlike.common import mail
    from sesamlike.followup import own_clinic_costs
    from sesamlike.orders import care_end as order_care_end
    from sesamlike.orders import (
        delivery,
        history,
        notices,
        overview,
        status,
        withdrawals,
    )
    from sesamlike.orders import services as ordering
    from sesamlike.patients import care, care_end, links, protection
    from sesamlike.prescriptions import services as prescriptions

    status.register_handovers(handover.handovers)
    ordering.register_e_recept_withdrawal(pharmacy.withdraw_e_recepts)
    prescriptions.register_open_orders(withdrawals.undelivered_orders)
    overview.register_patient_costs(own_clinic_costs.patient_costs)
    audit.register_patients_of_login(links.patients_of_login)
    catalogue.register_delivered_articles(history.articles_delivered)
    mail.register_recipient_check(links.may_still_hear)
    mail.register_recipient_check(notices.prescriber_may_still_hear)
    protection.register_on_protected(delivery.reroute_to_clinic)
    care.register_on_care_ended(delivery.follow_the_move)
    mail.register_recipient_check(care_end.may_still_hear)
    care_end.register(order_care_end.foresee, order_care_end.stop)


def register_extensions(app: Flask) -> None:
    from sesamlike import models, security  # noqa: F401  (models: all tables)
    from sesamlike.common import (
        cursor_description,
        forms,
        html_params,
        i18n,
        pinging,
        request_logs,
        transaction_ends,
        urls,
    )

    db.init_app(app)
    with app.app_context():
        pinging.ping_idle_connections(
            db.engine, app.config["DB_PING_AFTER_IDLE_SECONDS"]
        )
        cursor_description.describe_lazily(db.engine)
        # First of the app's before_request functions: it notes whether a
        # transaction was open before any of them reads.
        transaction_ends.init_app(app, db.engine)
    migrate.init_app(app, db, directory=_migrations_dir())
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    request_logs.init_app(app)  # no password link's token in a request log
    forms.init_app(app)  # no control character in a page's query string
    html_params.install()  # WTForms' attribute writer, cheaper
    app.url_map.converters["int"] = urls.IdConverter  # before any route
    # Templates' links: each in-site address worked out once per process.
    app.jinja_env.globals["url_for"] = urls.cached_url_for(app.url_for)


def register_blueprints(app: Flask) -> None:
    """Register every area's pages and the API; an area that fails to import
    stops the app from starting, so nothing is disabled silently."""
    for area in BLUEPRINTS:
        app.register_blueprint(_import(f"sesamlike.{area}.views").bp)
    api_bp = _import("sesamlike.api").bp
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, no cookies: nothing to forge
    fhir_bp = _import("sesamlike.api.fhir").bp
    app.register_blueprint(fhir_bp)
    csrf.exempt(fhir_bp)


def register_commands(app: Flask) -> None:
    for name in COMMAND_MODULES:
        for command in _import(name).COMMANDS:
            app.cli.add_command(command)


class AreaImportError(ImportError):
    """A listed area, the API or a command module could not be imported."""


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise AreaImportError(
            f"{name} could not be imported ({exc}); Sesamlike does not start "
            "with a part missing.",
            name=name,
        ) from exc


def register_errorhandlers(app: Flask) -> None:
    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        if request.path.startswith("/api/"):
            from sesamlike.api.errors import error_response

            response = error_response(code)
        elif request.path.startswith("/fhir/"):
            from sesamlike.api.fhir.outcome import outcome_response

            response = outcome_response(code)
        else:
            # A body too large is a file only when files were sent (multipart).
            upload = request.mimetype == "multipart/form-data"
            response = make_response(
                render_template("error.html", code=code, upload=upload), code
            )
        if getattr(error, "valid_methods", None):  # 405: RFC 9110 wants Allow
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        """A refusal no view shows beside its form: the API's JSON error, FHIR's
        OperationOutcome, or an error page with the refusal in the user's
        language; always with the refusal's own status."""
        db.session.rollback()  # a refused request writes nothing
        if request.path.startswith("/api/"):
            from sesamlike.api.errors import domain_error_response

            return domain_error_response(error)
        if request.path.startswith("/fhir/"):
            from sesamlike.api.fhir.outcome import outcome_response

            return outcome_response(error.status, error.message, **error.params)
        return render_template(
            "error.html", code=error.status, refusal=_page_refusal(error)
        ), error.status

    @app.before_request
    def _choose_locale_afresh():
        g.pop("_flask_babel", None)  # Flask-Babel's locale and domain for the request


def _page_refusal(error: DomainError) -> list[str]:
    """The refusal and its field messages; none for a bare 403 or 404, whose page
    says it in its own words (and so the same for absent as for not visible)."""
    if type(error) in (NotVisible, Forbidden):
        return []
    fields = [_(message) for messages in error.fields.values() for message in messages]
    return [_(error.message, **error.params), *fields]


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")
