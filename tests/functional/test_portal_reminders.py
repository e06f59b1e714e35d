"""'Påminnelser' in the portal: e-mail or SMS, or no reminders at all."""

from __future__ import annotations

import re
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


def test_choices_made_for_one_child_are_not_saved_for_another_chosen_meanwhile(
    client, auth, region
):
    """The walkthrough: Olle's reminder page open in one tab, Alma chosen in
    another, then "Skicka inga påminnelser" and Spara in the first: Alma's
    reminders were stopped."""
    from tests.functional.test_portal import second_child

    alma = second_child(region)
    auth.login("anna")
    client.post("/portal/choose", data={"patient_id": region.child.id})
    page = client.get("/portal/reminders").text
    made_for = re.search(r'name="patient_id" type="hidden" value="(\d+)"', page)
    assert made_for is not None and made_for.group(1) == str(region.child.id)
    client.post("/portal/choose", data={"patient_id": alma.id})  # the other tab

    response = client.post(
        "/portal/reminders",
        data={"patient_id": made_for.group(1), "channel": "email", "opted_out": "y"},
    )
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/portal/choose"
    said = client.get(response.headers["Location"]).text
    assert (
        "Valen för påminnelser är inte sparade: du har valt ett annat barn sedan "
        "sidan öppnades." in said
    )
    assert db.session.get(ReminderPreference, alma.id) is None
    assert db.session.get(ReminderPreference, region.child.id) is None
    assert not db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "update_reminders")
    )
