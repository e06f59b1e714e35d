"""The prescriber's clinic pages: prescriptions filter, kit form, work lists, overview.

The demo catalogue gives real systems (MiniMed 640G with its infusion sets,
reservoirs and batteries; FreeStyle Libre 2 ...).
"""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from sesamlike.accounts.models import AuditEvent
from sesamlike.catalog.models import Article
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import Order, OrderLine
from sesamlike.prescriptions.models import Prescription
from tests.conftest import csrf_token_from
from tests.factories import (
    ADULT_PNR,
    load_demo_catalogue,
    make_clinic,
    make_depot,
    make_lent_device,
    make_order_line,
    make_patient,
    make_prescription,
    make_user,
)

TODAY = region_today()
MM640 = "MiniMed 640G"


def article(article_no: str) -> Article:
    return db.session.scalar(sa.select(Article).where(Article.article_no == article_no))


@pytest.fixture
def clinic(auth):
    load_demo_catalogue()
    make_depot("HMC")
    own = make_clinic("NORR", name="Diabetesmottagningen Norr")

    class Clinic:
        clinic = own
        other = make_clinic("SODR", name="Diabetesmottagningen Söder")
        nurse = make_user(
            "prescriber", clinics=[own], username="ssk", first_time_prescriber=True
        )
        patient = make_patient(
            own,
            personal_id=ADULT_PNR,
            id_kind="personnummer",
            first_name="Nora",
            last_name="Löfgren",
        )

    auth.login("ssk")
    return Clinic


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# The prescriptions page ---------------------------------------------------------


def test_expired_and_cancelled_prescriptions_are_behind_a_filter(client, clinic):
    patient = clinic.patient
    make_prescription(patient, article("100101"))
    make_prescription(
        patient,
        article("100201"),
        valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=36),
    )
    make_prescription(patient, article("900001"), status="cancelled")
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))
    assert "Quick-set infusionsset" in page
    assert "MiniMed reservoar" not in page and "AA-batteri" not in page
    assert "2 utgångna eller makulerade förskrivningar visas inte." in page
    everything = text_of(client.get(f"/patients/{patient.id}/prescriptions?show=all"))
    assert "MiniMed reservoar" in everything and "AA-batteri" in everything
    assert "Giltighetstiden har gått ut" in everything


def test_prescriptions_page_has_no_inline_styles(client, clinic):
    make_prescription(clinic.patient, article("100101"))
    for url in (
        f"/patients/{clinic.patient.id}/prescriptions",
        f"/patients/{clinic.patient.id}/prescriptions/kit?system={MM640}",
        f"/patients/{clinic.patient.id}/orders/new",
        f"/patients/{clinic.patient.id}/overview",
        "/orders",
    ):
        page = client.get(url).get_data(as_text=True)
        assert "<style" not in page and "style=" not in page, url


def test_new_prescription_form_tells_the_page_which_articles_are_devices(
    client, clinic
):
    page = text_of(client.get(f"/patients/{clinic.patient.id}/prescriptions/new"))
    devices = re.search(r'data-devices="([^"]*)"', page).group(1).split()
    assert {"100001", "200001", "500002"} <= set(devices)
    assert "100101" not in devices
    # Per system: t:slim X2 ranks 2 among pumps but is first in its system.
    assert re.search(r"t:slim X2 insulinpump \(200001\)[^<]*★ förstahandsval", page)


# The kit form ------------------------------------------------------------------


def kit_url(patient, system=MM640) -> str:
    return f"/patients/{patient.id}/prescriptions/kit?system={system}"


def test_kit_form_warns_of_a_prescription_the_patient_already_has(client, clinic):
    patient = clinic.patient
    current = make_prescription(patient, article("100101"))  # infusion sets
    make_prescription(patient, article("100201"), status="cancelled")  # reservoirs
    page = text_of(client.get(kit_url(patient)))
    assert page.count("Patienten har redan en aktuell förskrivning") == 1
    name = article("100101").name
    assert f"redan en aktuell förskrivning: {name}, giltig till" in page
    assert format_date(current.valid_to, "d MMMM y", locale="sv_SE") in page
    other = make_patient(clinic.clinic, first_name="Ny", last_name="Patient")
    assert "redan en aktuell förskrivning" not in text_of(client.get(kit_url(other)))


def test_kit_form_does_not_promise_to_replace_the_prescription_in_force(client, clinic):
    """The notice said "Bocka ur raden om den ska fortsätta gälla", as if a
    ticked line replaced it; saving left it in force beside the new one."""
    patient = clinic.patient
    current = make_prescription(patient, article("100101"))
    page = text_of(client.get(kit_url(patient)))
    assert "Bocka ur raden om den ska fortsätta gälla" not in page
    assert "Den gäller vidare om du inte makulerar den" in page
    assert f"/patients/{patient.id}/prescriptions#rx-{current.id}" in page


def test_kit_with_a_start_so_early_that_it_has_ended_is_refused(client, clinic):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["valid_from"] = "2020-01-01"
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    assert re.search(
        r'id="valid_from-error">\s*Förskrivningen skulle redan', text_of(response)
    )
    assert count(Prescription) == 0


def test_kit_with_a_start_months_ahead_is_confirmed_first(client, clinic):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["valid_from"] = (TODAY + timedelta(days=200)).isoformat()
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(r'id="valid_from-error">\s*Mer än 90 dagar fram i tiden', page)
    assert page.count('name="start_confirmed"') == 1
    assert count(Prescription) == 0
    data["start_confirmed"] = "y"
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 4


def test_kit_with_a_start_more_than_two_years_ahead_is_refused(client, clinic):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["valid_from"] = (TODAY + timedelta(days=732)).isoformat()
    data["start_confirmed"] = "y"
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    assert re.search(
        r'id="valid_from-error">\s*Förskrivningen får börja gälla högst två år',
        text_of(response),
    )
    assert count(Prescription) == 0


def test_kit_line_of_an_article_in_force_is_confirmed_first(client, clinic):
    """The kit saved a second Quick-set beside the one in force (a notice
    only), so the patient could order from both; the single-article page
    already asked. The line now asks the same."""
    make_prescription(clinic.patient, article("100101"))  # Quick-set, in force
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(
        r'id="lines-1-article_no-error">\s*Patienten har redan en aktuell', page
    )
    assert 'name="lines-1-duplicate_confirmed"' in page
    assert 'name="lines-0-duplicate_confirmed"' not in page
    assert count(Prescription) == 1
    data["lines-1-duplicate_confirmed"] = "y"
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 5


def kit_form(page: str) -> dict:
    """The fields of the kit form as a browser would post them, all rows ticked."""
    data = {}
    for name, value in re.findall(
        r'<input[^>]*name="((?:lines-\d+-)?[a-z_]+)"[^>]*value="([^"]*)"', page
    ):
        data[name] = value
    for name, options in re.findall(
        r'<select[^>]*name="([a-z_0-9-]+)"[^>]*>(.*?)</select>', page, re.S
    ):
        values = re.findall(r'<option([^>]*) value="([^"]*)"', options)
        chosen = [value for attrs, value in values if "selected" in attrs]
        data[name] = (chosen or [value for _attrs, value in values] or [""])[0]
    return data


def test_kit_form_proposes_the_system_with_quantities_from_expected_use(client, clinic):
    page = text_of(client.get(kit_url(clinic.patient)))
    assert "Förslag för MiniMed 640G" in page
    data = kit_form(page)
    rows = [
        (
            data[f"lines-{n}-article_no"],
            data[f"lines-{n}-packs_per_withdrawal"],
            data[f"lines-{n}-withdrawals"],
            data[f"lines-{n}-period_days"],
        )
        for n in range(4)
    ]
    assert rows == [
        ("100001", "1", "1", "365"),
        ("100101", "3", "4", "90"),
        ("100201", "3", "4", "90"),
        ("900001", "1", "4", "90"),
    ]
    assert "3 förpackningar per uttag räcker 90 dagar vid 0,3333 per dag" in page


def test_kit_form_keeps_cgm_in_capitals_when_it_lower_cases_the_category(
    client, clinic
):
    """The walkthrough: "Förskriv cgm-läsare", "Förskriv cgm-sensor"."""
    page = text_of(client.get(kit_url(clinic.patient, "FreeStyle Libre 2")))
    assert "Förskriv CGM-läsare" in page and "Förskriv CGM-sensor" in page
    assert "cgm-" not in page
    page = text_of(client.get(kit_url(clinic.patient)))
    assert "Förskriv insulinpump" in page and "Förskriv infusionsset" in page


def test_kit_of_a_pump_system_without_a_pump_in_the_assortment_says_so(client, clinic):
    """The walkthrough: "Förskriv ett helt system" for Animas Vibe (off the
    market since 2018) proposed batteries alone, headed like a whole system."""
    page = text_of(client.get(kit_url(clinic.patient, "Animas Vibe")))
    assert "Animas Vibe har ingen pump i sortimentet" in page
    page = text_of(client.get(kit_url(clinic.patient)))
    assert "ingen pump i sortimentet" not in page


def test_kit_form_saves_every_line_with_the_nurses_changes(client, clinic):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-1-packs_per_withdrawal"] = "4"  # more infusion sets
    del data["lines-3-include"]  # no batteries
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 302, text_of(response)
    assert response.location.endswith(f"/patients/{clinic.patient.id}/prescriptions")
    made = db.session.execute(
        sa.select(Article.article_no, Prescription.packs_per_withdrawal)
        .join(Article)
        .order_by(Prescription.id)
    ).all()
    assert made == [("100001", 1), ("100101", 4), ("100201", 3)]
    page = text_of(client.get(response.location))
    assert "3 förskrivningar för MiniMed 640G är sparade." in page


def test_kit_line_departing_from_first_choice_asks_for_a_reason_at_that_line(
    client, clinic
):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-1-article_no"] = "100102"  # Silhouette, rank 2
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "Silhouette infusionsset 13 mm/60 cm, 10 st (100102) är inte förstahandsval"
        in page
    )
    assert re.search(r'id="lines-1-reason_code-error">\s*Välj en orsakskod', page)
    assert count(Prescription) == 0
    data.update({"lines-1-reason_code": "medical", "lines-1-reason_text": "Hudbesvär"})
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 4


def test_kit_for_an_unknown_system_says_which_exist(client, clinic):
    response = client.get(kit_url(clinic.patient, "MiniMed 999G"))
    assert response.status_code == 422
    assert "Systemet MiniMed 999G finns inte" in text_of(response)


def test_kit_form_of_another_clinics_patient_is_404(client, clinic):
    stranger = make_patient(clinic.other)
    assert client.get(kit_url(stranger)).status_code == 404


# The work lists ----------------------------------------------------------------


def placed(days_ago: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=days_ago)


def worklist(client, **query) -> str:
    response = client.get("/orders", query_string=query)
    assert response.status_code == 200
    return text_of(response)


def test_work_list_shows_backorders_of_the_clinics_patients_only(client, clinic):
    make_order_line(clinic.patient, article("100101"), "backordered", packs=3)
    stranger = make_patient(clinic.other, first_name="Per", last_name="Söder")
    make_order_line(stranger, article("100101"), "backordered")
    page = worklist(client, list="backordered")
    assert "Nora Löfgren" in page and "3 × Quick-set" in page
    assert "Restnoterad, väntar på varor" in page
    assert "Per Söder" not in page
    patients = db.session.scalars(
        sa.select(AuditEvent.patient_id).where(AuditEvent.action == "worklist")
    ).all()
    assert patients == [clinic.patient.id]


def test_work_list_orders_sent_to_supplier_or_pharmacy(client, clinic):
    make_order_line(clinic.patient, article("500001"), "sent_to_pharmacy")
    make_order_line(clinic.patient, article("200001"), "sent_to_supplier")
    page = worklist(client, list="sent")
    assert "Hos apoteket" in page and "Beställd hos leverantören" in page
    only_pharmacy = worklist(client, list="sent", channel="pharmacy")
    assert "FreeStyle Libre 2 sensor" in only_pharmacy
    assert "t:slim X2" not in only_pharmacy


def order_with_pharmacy_and_central_lines(clinic) -> Order:
    """The walkthrough's order: Libre 2 sensors (pharmacy channel) with
    reservoirs from the aids centre, home by post (the only mode both allow)."""
    from sesamlike.orders import services as ordering

    sensors = make_prescription(clinic.patient, article("500001"))
    reservoirs = make_prescription(clinic.patient, article("100201"))
    return ordering.place_order(
        clinic.nurse,
        clinic.patient.id,
        [(sensors.id, 1), (reservoirs.id, 1)],
        "home",
    ).order


def test_work_list_says_a_pharmacy_line_reaches_the_patient_via_the_pharmacy(
    client, clinic
):
    order = order_with_pharmacy_and_central_lines(clinic)
    assert order.delivery_mode == "home"
    page = worklist(client, list="open")
    rows = {
        name: row
        for row in re.findall(r"<tr>.*?</tr>", page, re.S)
        for name in ("FreeStyle Libre 2 sensor", "MiniMed reservoar")
        if name in row
    }
    assert "Hos apoteket" in rows["FreeStyle Libre 2 sensor"]
    assert "Via apoteket" in rows["FreeStyle Libre 2 sensor"]
    assert "Hem med post" not in rows["FreeStyle Libre 2 sensor"]
    assert "Hem med post" in rows["MiniMed reservoar"]
    assert "Via apoteket" not in rows["MiniMed reservoar"]


def test_work_list_csv_says_a_pharmacy_line_reaches_the_patient_via_the_pharmacy(
    client, clinic
):
    order_with_pharmacy_and_central_lines(clinic)
    response = client.get("/orders/worklist.csv?list=open&format=csv-comma")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    modes = {row["Artikelnr"]: row["Leveranssätt"] for row in rows}
    assert modes == {"500001": "Via apoteket", "100201": "Hem med post"}


def test_clinic_delivery_waits_until_marked_collected(client, clinic, csrf_on):
    order = make_order_line(
        clinic.patient,
        article("100001"),
        "delivered",
        delivery_mode="clinic",
        delivered_on=TODAY - timedelta(days=1),
    )
    page = worklist(client, list="at_clinic")
    assert "MiniMed 640G insulinpump" in page
    assert "Varan har kommit till mottagningen och väntar på patienten." in page
    response = client.post(
        f"/orders/{order.id}/collected",
        data={
            "csrf_token": csrf_token_from(
                client.get("/orders?list=at_clinic").get_data(True)
            )
        },
    )
    assert response.status_code == 302
    db.session.refresh(order)
    assert order.collected_on == TODAY
    assert "MiniMed 640G insulinpump" not in worklist(client, list="at_clinic")


def test_an_order_not_all_sent_is_not_collected_and_says_why(client, clinic):
    # A pump from the supplier and its cassettes from the aids centre, to the
    # clinic: the cassettes have arrived, the pump has not left the supplier.
    order = make_order_line(
        clinic.patient, article("100001"), "sent_to_supplier", delivery_mode="clinic"
    )
    cassettes = article("100101")
    order.lines.append(
        OrderLine(article_id=cassettes.id, packs=1, channel="central",
                  status="delivered", delivered_on=TODAY,
                  pack_price_sek=cassettes.pack_price_sek,
                  vat_rate=cassettes.vat_rate)
    )  # fmt: skip
    db.session.commit()
    listed = worklist(client, list="at_clinic")
    assert cassettes.name in listed and "Hämtad av patienten" not in listed
    assert "Väntar på resten av beställningen" in listed
    refused = client.post(f"/orders/{order.id}/collected", follow_redirects=True)
    assert "en del av den har inte skickats till mottagningen" in text_of(refused)
    db.session.refresh(order)
    assert order.collected_on is None
    changed = sa.select(AuditEvent.id).where(
        AuditEvent.action == "update", AuditEvent.object_type == "order",
        AuditEvent.object_id == str(order.id),
    )  # fmt: skip
    assert db.session.scalar(changed) is None


def test_collected_twice_is_refused_in_words(client, clinic):
    order = make_order_line(
        clinic.patient, article("100001"), "delivered", delivery_mode="clinic"
    )
    assert client.post(f"/orders/{order.id}/collected").status_code == 302
    page = text_of(client.post(f"/orders/{order.id}/collected", follow_redirects=True))
    assert "väntar inte på mottagningen" in page


@pytest.mark.parametrize(
    "target",
    [
        "/\\elsewhere.example",
        "//elsewhere.example",
        "https://elsewhere.example/orders",
        "/\telsewhere.example",
        "orders",
    ],
)
def test_marked_collected_goes_back_to_a_page_here_only(client, clinic, target):
    order = make_order_line(
        clinic.patient, article("100001"), "delivered", delivery_mode="clinic"
    )
    response = client.post(f"/orders/{order.id}/collected", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/orders?list=at_clinic"
    db.session.refresh(order)
    assert order.collected_on == TODAY


def test_marked_collected_goes_back_to_the_work_list_it_came_from(client, clinic):
    order = make_order_line(
        clinic.patient, article("100001"), "delivered", delivery_mode="clinic"
    )
    came_from = "/orders?list=at_clinic&channel=central"
    response = client.post(f"/orders/{order.id}/collected", data={"next": came_from})
    assert response.headers["Location"] == came_from


def test_late_lines_are_measured_against_their_channels_lead_time(client, clinic):
    make_order_line(
        clinic.patient, article("100101"), "reserved", placed_at=placed(12)
    )  # central: 5 working days
    make_order_line(
        clinic.patient, article("200001"), "sent_to_supplier", placed_at=placed(8)
    )  # supplier: 10 working days, not late yet
    page = worklist(client, list="overdue")
    assert "Quick-set" in page and "Försenad" in page
    assert "t:slim X2" not in page


def test_prescriptions_running_out_unless_renewed(client, clinic):
    soon = make_prescription(
        clinic.patient,
        article("100101"),
        valid_from=TODAY - timedelta(days=350),
        valid_to=TODAY + timedelta(days=14),
    )
    make_prescription(clinic.patient, article("100201"))  # a year left
    page = worklist(client, list="running_out")
    assert "Quick-set" in page and "om 14 dagar" in page
    assert "MiniMed reservoar" not in page
    make_prescription(clinic.patient, article("100101"), renewed_from_id=soon.id)
    assert "Quick-set" not in worklist(client, list="running_out")


def test_devices_whose_warranty_ends(client, clinic):
    make_lent_device(
        clinic.patient,
        article("100001"),
        "NGP123",
        warranty_end=TODAY + timedelta(days=40),
    )
    make_lent_device(
        clinic.patient,
        article("500002"),
        "LIB999",
        warranty_end=TODAY + timedelta(days=300),
    )
    page = worklist(client, list="warranty")
    assert "NGP123" in page and "LIB999" not in page
    assert "LIB999" in worklist(client, list="warranty", days=365)


def test_work_list_exports_a_semicolon_csv_that_starts_no_formula(client, clinic):
    evil = make_patient(clinic.clinic, first_name="=HYPERLINK(1)", last_name="Ek")
    make_order_line(evil, article("100101"), "backordered")
    response = client.get("/orders/worklist.csv?list=backordered")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeffBeställning;Beställd;Personnummer;Namn;")
    assert ";'=HYPERLINK(1) Ek;" in body
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "export", AuditEvent.patient_id == evil.id)
    )


@pytest.mark.parametrize("role", ["depot", "manager", "region"])
def test_work_lists_are_the_prescribers(client, clinic, auth, role):
    make_user(role, clinics=[clinic.clinic], username="other-role")
    auth.logout()
    auth.login("other-role")
    assert client.get("/orders").status_code == 403
    assert client.get("/orders/worklist.csv").status_code == 403


# The patient overview ------------------------------------------------------------


def test_overview_shows_devices_prescriptions_and_orders(client, clinic):
    pump = article("100001")
    make_lent_device(
        clinic.patient,
        pump,
        "NG1234567H",
        lent_on=TODAY - timedelta(days=100),
        warranty_end=TODAY + timedelta(days=1360),
    )
    rx = make_prescription(clinic.patient, article("100101"), withdrawals_used=1)
    make_order_line(
        clinic.patient, article("100101"), "sent_to_pharmacy", prescription_id=rx.id
    )
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    assert "MiniMed 640G insulinpump" in page and "NG1234567H" in page
    assert (TODAY + timedelta(days=1360)).isoformat() in page
    assert "MiniMed 640G" in page  # the pump system
    assert "Quick-set infusionsset" in page and "3 av 4" in page
    assert "Hos apoteket" in page
    assert f"/patients/{clinic.patient.id}/prescriptions/kit" in page
    assert f"/patients/{clinic.patient.id}/orders/new" in page


def test_overview_says_a_withdrawal_whose_lock_has_passed_can_be_made_now(
    client, clinic
):
    """ "Nästa uttag tidigast" showed a day weeks past, bare, as if it were the
    earliest day still to come; the prescriptions page says it can be made now."""
    due = TODAY - timedelta(days=30)
    make_prescription(
        clinic.patient, article("100101"), withdrawals_used=1,
        last_withdrawal_on=due - timedelta(days=60), lock_days=60,
    )  # fmt: skip
    waiting = make_prescription(
        clinic.patient, article("100102"), withdrawals_used=1,
        last_withdrawal_on=TODAY - timedelta(days=10), lock_days=60,
    )  # fmt: skip
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    rows = {row.split("</th>")[0]: row for row in page.split("<tr>")[1:]}
    (due_row,) = [row for head, row in rows.items() if "Quick-set" in head]
    (waiting_row,) = [row for head, row in rows.items() if "Silhouette" in head]
    assert "uttag kan göras nu" in due_row
    assert "uttag kan göras nu" not in waiting_row
    assert format_date(waiting.next_withdrawal_on, "short", locale="sv") in waiting_row


def test_overview_tells_a_pump_in_use_from_one_only_prescribed(client, clinic):
    """Right after prescribing a 780G the summary said "Pumpsystem: MiniMed
    640G, MiniMed 780G", as if both were in use; the new one is not delivered."""
    make_lent_device(clinic.patient, article("100001"), "NG1234567H",
                     lent_on=TODAY - timedelta(days=100))  # fmt: skip
    make_prescription(clinic.patient, article("100002"), withdrawals=1)
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    summary = page.split('class="summary"')[1].split("</ul>")[0]
    prescribed_only = (
        r'MiniMed 780G\s*<span class="hint">\(förskrivet, inte i bruk än\)'
    )
    assert re.search(r"MiniMed 640G, " + prescribed_only, summary), summary
    assert "MiniMed 640G <span" not in summary


@pytest.mark.parametrize(
    "status, collected, said",
    [
        ("shipped", False, "Skickad, inte levererad än"),
        ("delivered", False, "Väntar på mottagningen"),
        ("delivered", True, None),  # collected: in use since it was lent
        # Collected before the aids centre confirmed the delivery: in use.
        ("shipped", True, None),
    ],
)
def test_a_lent_pump_not_with_the_patient_yet_is_not_called_in_use(
    client, clinic, status, collected, said
):
    """The walkthrough: after a warranty swap the new pump read "I bruk sedan
    2026-12-05" while the same page said it waited at the clinic."""
    pump = article("100001")
    order = make_order_line(
        clinic.patient, pump, status, delivery_mode="clinic",
        delivered_on=TODAY if status == "delivered" else None,
        collected_on=TODAY if collected else None,
    )  # fmt: skip
    make_lent_device(clinic.patient, pump, "NG7654321H", lent_on=TODAY,
                     reference=order.lines[0].reference)  # fmt: skip
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    row = page.split("NG7654321H")[1].split("</tr>")[0]
    summary = page.split('class="summary"')[1].split("</ul>")[0]
    if said:
        assert said in row
        # Nor is its system in use yet.
        assert re.search(r'MiniMed 640G\s*<span class="hint">\(förskrivet, inte i '
                         r"bruk än\)", summary), summary  # fmt: skip
    else:
        assert format_date(TODAY, "yyyy-MM-dd") in row or TODAY.isoformat() in row
        assert "Väntar" not in row and "inte levererad" not in row


def faulty_pump_back(clinic, **device):
    """The patient's MiniMed 640G of 700 days, back at the aids centre in
    quarantine (faulty): the pump article and the order that lent it."""
    pump = article("100001")
    old = make_order_line(clinic.patient, pump, "returned", delivery_mode="clinic",
                          delivered_on=TODAY - timedelta(days=700))  # fmt: skip
    make_lent_device(clinic.patient, pump, "NG1111111H", status="quarantine",
                     lent_on=TODAY - timedelta(days=700),
                     reference=old.lines[0].reference, **device)  # fmt: skip
    return pump, old


def test_a_pump_system_in_a_warranty_swap_is_still_in_use(client, clinic):
    """The walkthrough: while a warranty swap's new pump was on its way (the
    faulty one back at the aids centre), the summary read "MiniMed 640G
    (förskrivet, inte i bruk än)" for a child on a 640G since 2024."""
    pump, old = faulty_pump_back(clinic)
    swap = make_order_line(clinic.patient, pump, "shipped", delivery_mode="clinic",
                           replaces_line_id=old.lines[0].id)  # fmt: skip
    make_lent_device(clinic.patient, pump, "NG2222222H", lent_on=TODAY,
                     reference=swap.lines[0].reference)  # fmt: skip
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    summary = page.split('class="summary"')[1].split("</ul>")[0]
    assert "MiniMed 640G" in summary
    assert "inte i bruk än" not in summary, summary
    row = page.split("NG2222222H")[1].split("</tr>")[0]
    assert "Skickad, inte levererad än" in row


@pytest.mark.parametrize("status", ["backordered", "sent_to_supplier"])
def test_a_pump_system_whose_warranty_replacement_is_ordered_is_still_in_use(
    client, clinic, status
):
    """The walkthrough: a faulty t:slim X2 taken back, its replacement ordered
    (from the supplier, or backordered): the summary read "Pumpsystem –" and
    neither pump was listed among the devices in use."""
    pump, old = faulty_pump_back(clinic, warranty_end=TODAY + timedelta(days=700))
    make_order_line(clinic.patient, pump, status, delivery_mode="clinic",
                    replaces_line_id=old.lines[0].id)  # fmt: skip

    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))

    summary = page.split('class="summary"')[1].split("</ul>")[0]
    assert "MiniMed 640G" in summary
    assert "inte i bruk än" not in summary, summary
    devices = page.split('id="devices-heading"')[1].split("</section>")[0]
    assert "Ersättning under garanti beställd" in devices
    assert "Patienten har inga utlånade" not in devices
    assert format_date(TODAY + timedelta(days=700), "yyyy-MM-dd") in devices or (
        (TODAY + timedelta(days=700)).isoformat() in devices
    )


def _summary_after_g6_sensors(client, clinic, days_ago: int) -> str:
    """The overview's summary after G6 sensors were delivered `days_ago`."""
    sensors = make_prescription(clinic.patient, article("400001"), withdrawals_used=1)
    make_order_line(
        clinic.patient,
        article("400001"),
        "delivered",
        prescription_id=sensors.id,
        delivered_on=TODAY - timedelta(days=days_ago),
    )
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    return page.split('class="summary"')[1].split("</ul>")[0]


def test_overview_counts_a_cgm_read_by_phone_in_use_once_sensors_are_delivered(
    client, clinic
):
    """The walkthrough: a patient on Dexcom G6 for a year (sensors and
    transmitters delivered, read by phone, no receiver) was summed up as
    "Dexcom G6 (förskrivet, inte i bruk än)"."""
    summary = _summary_after_g6_sensors(client, clinic, days_ago=30)
    assert "Dexcom G6" in summary
    assert "inte i bruk än" not in summary


def test_overview_calls_a_cgm_only_prescribed_not_in_use(client, clinic):
    make_prescription(clinic.patient, article("400001"))
    make_order_line(clinic.patient, article("400001"), "sent_to_pharmacy")
    page = text_of(client.get(f"/patients/{clinic.patient.id}/overview"))
    summary = page.split('class="summary"')[1].split("</ul>")[0]
    assert re.search(r'Dexcom G6\s*<span class="hint">\(förskrivet, inte i bruk än\)',
                     summary), summary  # fmt: skip


def test_overview_of_another_clinics_patient_is_404(client, clinic):
    stranger = make_patient(clinic.other)
    assert client.get(f"/patients/{stranger.id}/overview").status_code == 404


def test_search_takes_a_prescriber_to_the_overview(client, clinic):
    page = text_of(client.post("/patients", data={"q": "lofgren"}))  # search by POST
    assert f'href="/patients/{clinic.patient.id}/overview"' in page


# One status, one sentence --------------------------------------------------------


def _staff_and_portal_pages(client, clinic, auth, status: str) -> tuple[str, str]:
    """An order of one line in `status`, as staff and as the patient see it."""
    order = make_order_line(clinic.patient, article("500001"), status)
    make_user("patient", patients=[clinic.patient], username="nora")
    staff = text_of(client.get(f"/orders/{order.id}"))
    auth.logout()
    auth.login("nora")
    return staff, text_of(client.get(f"/portal/orders/{order.id}"))


def test_a_pharmacy_order_never_says_both_sent_and_not_sent(client, clinic, auth):
    staff, portal = _staff_and_portal_pages(client, clinic, auth, "sent_to_pharmacy")
    for page in (staff, portal):
        assert "Hos apoteket" in page
        assert "Förskrivningen skickas till apoteket som e-recept inom några" in page
        assert "Inte skickad än" not in page and "Skickad till apoteket" not in page
    assert "tills något i den har skickats eller lämnats ut" in portal


def test_a_supplier_line_not_yet_in_a_file_is_not_said_received(client, clinic, auth):
    """The supplier file goes once a day: a parent ordering at night is not
    told the supplier has the order."""
    staff, portal = _staff_and_portal_pages(client, clinic, auth, "sent_to_supplier")
    for page in (staff, portal):
        assert "Beställd hos leverantören" in page
        assert "Leverantören har fått beställningen" not in page
        assert "nästa beställningsfil, som skickas kl. 16 varje dag" in page


def test_a_delivered_order_does_not_say_it_is_not_sent(client, clinic, auth):
    order = make_order_line(
        clinic.patient, article("100101"), "delivered", delivered_on=TODAY
    )
    make_user("patient", patients=[clinic.patient], username="nora")
    auth.logout()
    auth.login("nora")
    page = text_of(client.get(f"/portal/orders/{order.id}"))
    assert "Levererad" in page and "Varan är levererad." in page
    assert "Inte skickad" not in page
    assert count(Order) == 1


@pytest.mark.parametrize("days_ago", [89, 91])
def test_a_clinic_delivery_waits_for_the_patient_only_as_long_as_the_work_list_says(
    client, clinic, auth, days_ago
):
    order = make_order_line(
        clinic.patient,
        article("100001"),
        "delivered",
        delivery_mode="clinic",
        delivered_on=TODAY - timedelta(days=days_ago),
    )
    staff_words = ("Varan har kommit till mottagningen och väntar på patienten.",
                   "Patienten har hämtat varan på mottagningen.")  # fmt: skip
    # The patient reads the same state in words to them, not of "patienten".
    portal_words = ("Varan har kommit till mottagningen och kan hämtas där.",
                    "Varan är hämtad på mottagningen.")  # fmt: skip
    on_list = "MiniMed 640G insulinpump" in worklist(client, list="at_clinic")
    pages = [
        (text_of(client.get(f"/orders/{order.id}")), staff_words),
        (text_of(client.get(f"/patients/{clinic.patient.id}/overview")), staff_words),
    ]
    make_user("patient", patients=[clinic.patient], username="nora")
    auth.logout()
    auth.login("nora")
    pages += [
        (text_of(client.get(f"/portal/orders/{order.id}")), portal_words),
        (text_of(client.get("/portal/orders")), portal_words),
    ]
    for page, (waiting, collected) in pages:
        assert (waiting in page) is on_list
        assert (collected in page) is not on_list
    assert on_list is (days_ago < 90)


def test_a_device_shipped_to_the_clinic_is_on_the_at_clinic_list_before_it_arrives(
    client, clinic
):
    """Shipped, not yet delivered: the clinic expects it (not "collected")."""
    make_order_line(
        clinic.patient, article("100001"), "shipped", delivery_mode="clinic"
    )
    assert "MiniMed 640G insulinpump" in worklist(client, list="at_clinic")


# Counts read singular for one and plural for more, in Swedish and English -------


@pytest.mark.parametrize(
    "locale, one, three",
    [
        ("sv", "1 förpackning per uttag räcker", "3 förpackningar per uttag räcker"),
        ("en", "1 pack per withdrawal lasts", "3 packs per withdrawal last "),
    ],
)
def test_kit_form_says_one_pack_and_three_packs_per_withdrawal(
    client, clinic, locale, one, three
):
    client.post("/language", data={"locale": locale})
    page = text_of(client.get(kit_url(clinic.patient)))
    assert one in page and three in page
    assert "1 förpackningar" not in page and "1 packs" not in page


@pytest.mark.parametrize(
    "locale, one, three",
    [
        ("sv", "1 förskrivning för MiniMed 640G är sparad.", "3 förskrivningar för"),
        ("en", "1 prescription for MiniMed 640G is saved.", "3 prescriptions for"),
    ],
)
def test_kit_saved_message_counts_one_and_three_prescriptions(
    client, clinic, locale, one, three
):
    client.post("/language", data={"locale": locale})
    form = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data = {k: v for k, v in form.items() if not k.endswith("-include")}
    response = client.post(
        kit_url(clinic.patient), data={**data, "lines-0-include": "y"}
    )
    assert one in text_of(client.get(response.location))
    data.update({f"lines-{n}-include": "y" for n in (1, 2, 3)})
    response = client.post(kit_url(clinic.patient), data=data)
    assert three in text_of(client.get(response.location))


@pytest.mark.parametrize(
    "locale, one, three",
    [("sv", "om 1 dag<", "om 3 dagar<"), ("en", "in 1 day<", "in 3 days<")],
)
def test_work_list_says_in_one_day_and_in_three_days(
    client, clinic, locale, one, three
):
    for days, article_no in ((1, "100101"), (3, "100201")):
        make_prescription(
            clinic.patient,
            article(article_no),
            valid_from=TODAY - timedelta(days=350),
            valid_to=TODAY + timedelta(days=days),
        )
    client.post("/language", data={"locale": locale})
    page = worklist(client, list="running_out")
    assert one in page and three in page
    assert "1 dagar" not in page and "1 days" not in page


@pytest.mark.parametrize(
    "locale, one, three",
    [
        ("sv", ("1 dag ·", "1 dag per uttag<"), ("3 dagar ·", "3 dagar per uttag<")),
        (
            "en",
            ("1 day ·", "1 day per withdrawal<"),
            ("3 days ·", "3 days per withdrawal<"),
        ),
    ],
)
def test_prescriptions_page_says_one_day_and_three_days(
    client, clinic, locale, one, three
):
    for days, article_no in ((1, "100101"), (3, "100201")):
        make_prescription(
            clinic.patient, article(article_no), lock_days=days, period_days=days
        )
    client.post("/language", data={"locale": locale})
    page = text_of(client.get(f"/patients/{clinic.patient.id}/prescriptions"))
    assert all(text in page for text in one + three)
    assert "1 dagar" not in page and "1 days" not in page


def test_kit_line_far_above_the_expected_use_asks_to_be_confirmed_at_that_line(
    client, clinic
):
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-1-packs_per_withdrawal"] = "50"  # infusion sets: 3 is the need
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "Quick-set infusionsset 6 mm/60 cm, 10 st: 50 per uttag räcker till mer "
        "än 1,5 gånger förväntad användning under uttagets period, som är ungefär 3 "
        "förpackningar." in page
    )
    assert re.search(
        r'id="lines-1-packs_per_withdrawal-error">\s*Mer än 1,5 gånger förväntad', page
    )
    assert 'name="lines-1-quantity_confirmed"' in page
    assert 'name="lines-2-quantity_confirmed"' not in page
    assert count(Prescription) == 0
    data["lines-1-quantity_confirmed"] = "y"
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 4


def test_kit_line_with_too_many_withdrawals_asks_to_be_confirmed_at_that_line(
    client, clinic
):
    """3 packs a withdrawal is the need; 7 withdrawals of it in a year (the time
    lock lets them all be made) are nearly twice the need."""
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-1-withdrawals"] = "7"
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(
        r'id="lines-1-withdrawals-error">\s*Totalt mer än 1,5 gånger förväntad', page
    )
    assert 'name="lines-1-quantity_confirmed"' in page
    assert 'name="lines-2-quantity_confirmed"' not in page
    assert count(Prescription) == 0
    data["lines-1-quantity_confirmed"] = "y"
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 4


def test_kit_tells_every_fault_at_once_not_one_group_per_submit(client, clinic):
    """A mistyped cost centre hid the line faults: the nurse corrected it, sent
    again, and only then learnt that line 2 needed a reason and line 3 was
    far above the expected use."""
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["cost_centre"] = "K 1234!"
    data["lines-1-article_no"] = "100102"  # Silhouette, rank 2: needs a reason
    data["lines-2-packs_per_withdrawal"] = "50"  # reservoirs: far above the need
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert re.search(r'id="cost_centre-error">\s*Kostnadsstället ska vara', page)
    assert re.search(r'id="lines-1-reason_code-error">\s*Välj en orsakskod', page)
    assert re.search(
        r'id="lines-2-packs_per_withdrawal-error">\s*Mer än 1,5 gånger förväntad', page
    )
    # Once beside the field, not once a line (and once in the list at the top).
    banner, form = page.split('class="kit-form"', 1)
    assert form.count("Kostnadsstället ska vara") == 1
    assert banner.count("Kostnadsstället ska vara") == 1
    assert count(Prescription) == 0
    data.update({
        "cost_centre": "K1234", "lines-1-reason_code": "medical",
        "lines-1-reason_text": "Hudbesvär", "lines-2-quantity_confirmed": "y",
    })  # fmt: skip
    assert client.post(kit_url(clinic.patient), data=data).status_code == 302
    assert count(Prescription) == 4


def test_kit_banner_lists_every_fault_linked_to_its_field_and_outlines_only_them(
    client, clinic
):
    """The walkthrough: six faults, and the banner named the pump's alone;
    every input of a line at fault was outlined red (packs, withdrawals and
    days of a line whose only fault was a missing reason code)."""
    data = kit_form(text_of(client.get(kit_url(clinic.patient))))
    data.update({f"lines-{n}-include": "y" for n in range(4)})
    data["lines-0-packs_per_withdrawal"] = "2"  # a pump: one of one
    data["lines-0-withdrawals"] = "2"
    data["lines-1-article_no"] = "100102"  # Silhouette, rank 2: needs a reason
    data["lines-2-packs_per_withdrawal"] = "50"  # reservoirs: far above the need
    data["cost_centre"] = "K 1234!"
    response = client.post(kit_url(clinic.patient), data=data)
    assert response.status_code == 422
    page = text_of(response)
    banner = re.search(r'role="alert" id="form-error">(.*?)</div>', page, re.S)
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', banner.group(1), re.S)
    assert [anchor for anchor, _text in links] == [
        "lines-0-packs_per_withdrawal",
        "lines-0-withdrawals",
        "lines-1-reason_code",
        "lines-1-reason_text",
        "lines-2-packs_per_withdrawal",
        # 50 reservoirs a withdrawal are far above the need in all too
        # (prescriptions.quantities: withdrawals × packs against the validity).
        "lines-2-withdrawals",
        "cost_centre",
    ]
    said = [re.sub(r"\s+", " ", text).strip() for _anchor, text in links]
    assert said[0] == (
        "Insulinpump, Förpackningar per uttag: Ange 1 för en pump eller CGM-avläsare."
    )
    assert said[2] == "Infusionsset, Orsakskod: Välj en orsakskod."
    assert said[6].startswith("Betalande kostnadsställe: Kostnadsstället ska vara")
    # Outlined: the fields at fault, not every input of their lines.
    outlined = re.findall(r'<div class="field has-error">\s*<label for="([^"]+)"', page)
    assert outlined == [anchor for anchor, _text in links]
    assert "kit-line has-error" not in page


def test_kit_without_a_start_day_still_checks_its_lines(clinic):
    """The service (also the API's): no start day is told once, beside the
    line faults, not instead of them nor again on every line."""
    from dataclasses import replace

    from sesamlike.common.errors import DomainError
    from sesamlike.prescriptions import kits

    choices = kits.proposed_choices(kits.kit_for(MM640))
    choices[1] = replace(choices[1], article_no="100102")
    with pytest.raises(DomainError) as refused:
        kits.prescribe_kit(clinic.nurse, clinic.patient.id, MM640, None, choices)
    fields = refused.value.fields
    assert "valid_from" in fields
    assert "lines.1.reason_code" in fields
    assert not any(name.startswith("lines.") and name.endswith("valid_from")
                   for name in fields)  # fmt: skip
    assert count(Prescription) == 0


def test_an_order_with_a_pharmacy_line_says_it_goes_via_the_pharmacy(client, clinic):
    """The order page said only "Hem med post" for the whole order; the sensors
    go via the pharmacy (the work list says so per line)."""
    order = order_with_pharmacy_and_central_lines(clinic)
    page = text_of(client.get(f"/orders/{order.id}"))
    assert re.search(r"Hem med post; apoteksvarorna via apoteket</dd>", page), page


def test_overview_calls_a_cgm_whose_sensors_came_years_ago_not_in_use(client, clinic):
    """Sensors last days and transmitters months: G6 sensors delivered two
    years ago, and none since, are no CGM in use today."""
    summary = _summary_after_g6_sensors(client, clinic, days_ago=730)
    assert re.search(r'Dexcom G6\s*<span class="hint">\(förskrivet, inte i bruk än\)',
                     summary), summary  # fmt: skip


def test_staff_pages_say_how_long_the_prescription_lasts_not_the_supply(client, clinic):
    """The portal's "Räcker ungefär till" is when the delivered supply runs out;
    these pages' date is the prescription's, and say so."""
    make_prescription(clinic.patient, article("100101"), withdrawals_used=1)
    pid = clinic.patient.id
    for path in (f"/patients/{pid}/overview", f"/patients/{pid}/prescriptions"):
        page = text_of(client.get(path))
        assert "Förskrivningen räcker till" in page, path
        assert ">Räcker till<" not in page and "'Räcker till'" not in page, path
        assert 'data-label="Räcker till"' not in page, path


def test_new_prescription_banner_lists_every_fault_linked_to_its_field(client, clinic):
    """The walkthrough: the banner named the missing deviation reason alone;
    the quantities' faults stood only beside their fields, below."""
    url = f"/patients/{clinic.patient.id}/prescriptions/new"
    data = {
        "article_no": "100102",  # Silhouette, rank 2: needs a reason
        "packs_per_withdrawal": "50",  # far above the need
        "withdrawals": "4",
        "period_days": "90",
        "valid_from": TODAY.isoformat(),
        "clinic_code": "NORR",
    }
    response = client.post(url, data=data)
    assert response.status_code == 422
    banner = re.search(
        r'role="alert" id="form-error">(.*?)</div>', text_of(response), re.S
    )
    anchors = re.findall(r'<a href="#([^"]+)">', banner.group(1))
    assert "packs_per_withdrawal" in anchors and "reason_code" in anchors
    assert len(anchors) >= 3
