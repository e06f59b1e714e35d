"""A job's message on the admin's jobs page says why it failed, never to whom.

The admin sees no patient's identity or contact details (domain.md, need to
know), yet a run's message is written from the errors it met: an SMTP server's
refusal names the recipient's address, and a database error its statement's
values (a personnummer, a name, a mail's body).
"""

from __future__ import annotations

import importlib
import logging

import pytest
import sqlalchemy as sa

from sesamlike import jobs
from sesamlike.common.jobruns import run_job
from sesamlike.common.mail import queue_mail
from sesamlike.extensions import db
from sesamlike.patients.models import Patient
from tests.factories import make_clinic, make_patient, make_user
from tests.smtp import smtp_server  # noqa: F401

GUARDIAN_MAIL = "hemlig.vardnadshavare@example.se"


def _jobs_page(client, auth) -> str:
    make_user("admin", username="root")
    auth.login("root")
    return client.get("/admin/jobs?failed=1").text


def test_a_refused_recipient_is_not_named_on_the_jobs_page(
    smtp_server,  # noqa: F811
    client,
    auth,
):
    smtp_server.refuse.add(GUARDIAN_MAIL)
    queue_mail(GUARDIAN_MAIL, "Vi har tagit emot beställning 17", "Hej!",
               "order_received", "k:1")  # fmt: skip
    db.session.commit()

    run = jobs.run_named("send_mail")

    assert run.outcome == "partial", (run.counts, run.message)
    assert "SMTPRecipientsRefused" in run.message  # still says why
    assert GUARDIAN_MAIL not in run.message
    assert GUARDIAN_MAIL not in _jobs_page(client, auth)


def insert_the_same_personnummer(patient) -> None:
    """A second patient with `patient`'s personnummer: the INSERT's values
    (the number, the name "Hemlig") are in the database error's text."""
    db.session.execute(
        sa.insert(Patient).values(
            personal_id=patient.personal_id,
            id_kind="personnummer",
            first_name="Hemlig",
            last_name="Person",
            birth_date=patient.birth_date,
            diabetes_type="type1",
        )  # fmt: skip
    )


def test_a_failed_jobs_database_error_shows_no_personnummer(client, auth):
    patient = make_patient(personal_id="198112189876")
    db.session.commit()

    def broken(now):
        # A duplicate patient: the INSERT's values are in the error's text.
        insert_the_same_personnummer(patient)

    run = run_job("followup_nightly", broken)

    assert run.outcome == "failed"
    assert "IntegrityError" in run.message  # still says why
    page = _jobs_page(client, auth)
    for secret in ("198112189876", "Hemlig"):
        assert secret not in run.message
        assert secret not in page


def test_a_500s_logged_database_error_shows_no_personnummer(
    app, client, auth, monkeypatch, caplog
):
    """The error log of a request that failed (Flask logs its traceback) is
    read by whoever runs the servers: no personnummer or name in it."""
    from sesamlike.patients import views

    clinic = make_clinic()
    patient = make_patient(clinic, personal_id="198112189876")
    make_user("prescriber", username="doc", clinics=[clinic])
    db.session.commit()

    def broken(user, patient_id):
        insert_the_same_personnummer(patient)

    monkeypatch.setattr(views.services, "patient_card", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    auth.login("doc")

    with caplog.at_level(logging.ERROR):
        assert client.get(f"/patients/{patient.id}").status_code == 500

    logged = "\n".join(caplog.text.splitlines())
    assert "IntegrityError" in logged  # still says why
    for secret in ("198112189876", "Hemlig"):
        assert secret not in logged


@pytest.mark.parametrize(
    "module", ["sesamlike.common.transaction_ends", "sesamlike.followup.warming"]
)
def test_the_apps_own_loggers_write_no_personnummer(app, caplog, module):
    """The loggers that write a traceback of their own (outside a request)."""
    log = importlib.import_module(module).log
    try:
        raise RuntimeError(
            "duplicate key\nDETAIL:  Key (personal_id)=(198112189876) already exists."
            " (to anna@example.se)"
        )
    except RuntimeError:
        with caplog.at_level(logging.ERROR, logger=log.name):
            log.exception("failed for 19811218-9876")
    assert "RuntimeError" in caplog.text
    for secret in ("198112189876", "19811218-9876", "anna@example.se"):
        assert secret not in caplog.text
