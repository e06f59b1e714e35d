"""'Påminnelser' in the portal: e-mail or SMS, or no reminders at all."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.extensions import db
from sesamlike.patients.models import ReminderPreference
from tests.portal_data import make_region


@pytest.fixture
def region():
    return make_region()


def test_patient_opts_out_of_reminders(client, auth, region):
    auth.login("ella")
    page = client.get("/portal/reminders").text
    assert "Påminnelser skickas som" in page
    response = client.post(
        "/portal/reminders", data={"channel": "email", "opted_out": "y"}
    )
    assert response.status_code == 302
    stored = db.session.get(ReminderPreference, region.patient.id)
    assert stored.opted_out is True
    page = client.get("/portal/reminders").text
    assert "Du får inga fler påminnelser om att beställa." in page
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "update_reminders",
            AuditEvent.patient_id == region.patient.id,
        )
    )


def test_sms_without_a_phone_number_is_refused_and_nothing_is_stored(
    client, auth, region
):
    region.patient.phone = None
    db.session.commit()
    auth.login("ella")
    response = client.post("/portal/reminders", data={"channel": "sms"})
    assert response.status_code == 422
    assert "Det finns inget mobilnummer att skicka SMS till." in response.text
    assert db.session.get(ReminderPreference, region.patient.id) is None


def test_sms_with_a_phone_number_is_stored(client, auth, region):
    region.patient.phone = "070-123 45 67"
    db.session.commit()
    auth.login("ella")
    assert client.post("/portal/reminders", data={"channel": "sms"}).status_code == 302
    assert db.session.get(ReminderPreference, region.patient.id).channel == "sms"


def test_guardian_sets_the_childs_reminders(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    page = client.get("/portal/reminders").text
    assert "Du gör ärenden för Olle Ek" in page
    client.post("/portal/reminders", data={"channel": "email", "opted_out": "y"})
    assert db.session.get(ReminderPreference, region.child.id).opted_out is True
    assert db.session.get(ReminderPreference, region.patient.id) is None


def test_a_reminder_link_opens_the_order_with_the_aid_ticked(client, auth, region):
    auth.login("ella")
    page = client.get(f"/portal/order?rx={region.rx_infusion.id}").text
    assert f'value="{region.rx_infusion.id}"' in page


def test_a_reminder_link_switches_a_guardian_to_the_child_it_is_about(
    client, auth, region
):
    auth.login("anna")
    response = client.get(f"/portal/order?rx={region.rx_child.id}")
    assert response.status_code == 200
    assert "Du gör ärenden för Olle Ek" in response.text


def test_a_reminder_link_does_not_reach_someone_elses_child(client, auth, region):
    auth.login("anna")
    response = client.get(f"/portal/order?rx={region.rx_other.id}")
    assert response.status_code == 302  # to choose a child: Bo is not hers
    assert urlsplit(response.headers["Location"]).path == "/portal/choose"


def test_a_guardians_reminder_choices_speak_of_the_child(client, auth, region):
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    form = client.get("/portal/reminders").text
    assert "När det är dags att beställa igen åt Olle" in form
    saved = client.post(
        "/portal/reminders", data={"channel": "email"}, follow_redirects=True
    ).text
    assert "Valen för påminnelser om att beställa åt Olle är sparade." in saved
    assert "Dina val" not in saved
    stopped = client.post(
        "/portal/reminders",
        data={"channel": "email", "opted_out": "y"},
        follow_redirects=True,
    ).text
    assert "Du får inga fler påminnelser om att beställa åt Olle." in stopped


def test_a_patients_reminder_choices_are_their_own(client, auth, region):
    auth.login("ella")
    saved = client.post(
        "/portal/reminders", data={"channel": "email"}, follow_redirects=True
    ).text
    assert "Dina val för påminnelser är sparade." in saved


def test_saved_reminder_choices_are_one_row_in_the_access_log(client, auth, region):
    auth.login("ella")
    client.post("/portal/reminders", data={"channel": "email", "opted_out": "y"})
    page = client.get("/portal/access-log?show=all").text
    assert page.count("Ändrade påminnelseinställningarna") == 1
