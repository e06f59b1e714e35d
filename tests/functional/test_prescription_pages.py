"""The prescriber's prescription pages: list, new, renew and cancel (makulera)."""

import html
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.prescriptions.models import Prescription
from sesamlike.prescriptions.rules import add_years
from tests.conftest import csrf_token_from
from tests.factories import (
    ADULT_PNR,
    make_article,
    make_clinic,
    make_patient,
    make_prescription,
    make_pump_user,
    make_system,
    make_user,
)

TODAY = region_today()


@pytest.fixture
def setup():
    clinic = make_clinic("OWN", name="Diabetesmottagningen Syd", cost_centre="KS1001")
    other = make_clinic("OTHER")
    nurse = make_user("prescriber", clinics=[clinic], username="nurse")
    patient = make_patient(
        clinic,
        personal_id=ADULT_PNR,
        id_kind="personnummer",
        first_name="Astrid",
        last_name="Lind",
    )
    stranger = make_patient(other)
    system = make_system("MiniMed 640G")
    make_pump_user(patient, systems=[system])  # a MiniMed 640G user
    first = make_article("100101", name="Quick-set", systems=[system])
    return {
        "clinic": clinic,
        "nurse": nurse,
        "patient": patient,
        "stranger": stranger,
        "system": system,
        "first": first,
    }


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def new_url(patient) -> str:
    return f"/patients/{patient.id}/prescriptions/new"


def form_data(**kw) -> dict:
    data = {
        "article_no": "100101",
        "packs_per_withdrawal": "2",
        "withdrawals": "4",
        "period_days": "90",
        "valid_from": TODAY.isoformat(),
        "valid_to": "",
        "lock_days": "",
        "reason_code": "",
        "reason_text": "",
        "clinic_code": "OWN",
        "cost_centre": "",
    }
    data.update(kw)
    return data


def error_next_to(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error shown next to {field}"
    return match.group(1).strip()


def count_prescriptions() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Prescription))


def test_list_shows_what_the_prescriber_needs(client, auth, setup):
    make_prescription(
        setup["patient"],
        setup["first"],
        packs_per_withdrawal=2,
        withdrawals=4,
        withdrawals_used=1,
        lock_days=60,
        last_withdrawal_on=TODAY - timedelta(days=10),
    )
    auth.login("nurse")
    response = client.get(f"/patients/{setup['patient'].id}/prescriptions")
    assert response.status_code == 200
    page = text_of(response)
    assert "Astrid Lind" in page and "19900102-9801" in page
    assert "Quick-set" in page and "MiniMed 640G" in page
    assert "2 × 4" in page
    assert "3 av 4" in page
    assert (TODAY + timedelta(days=50)).isoformat() in page
    assert "KS1001" in page
    assert 'class="badge badge-ok">Aktiv' in page
    assert "Förnya" in page and "Makulera" in page
    assert f"/patients/{setup['patient'].id}/prescriptions/new" in page


def test_each_rows_actions_name_their_article_and_no_id_is_repeated(
    client, auth, setup
):
    """The walkthrough: every row had the same "Förnya"/"Makulera" and
    "Ja, förnya"/"Ja, makulera" with no article in the name a screen reader
    reads, and 13 elements shared id="csrf_token"."""
    second = make_article("100102", name="Mio infusionsset", systems=[setup["system"]])
    for article in (setup["first"], second):
        make_prescription(setup["patient"], article)
    auth.login("nurse")

    page = text_of(client.get(f"/patients/{setup['patient'].id}/prescriptions"))

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    hidden = '<span class="visually-hidden"> {}</span>'
    for name in ("Quick-set", "Mio infusionsset"):
        for words in ("Förnya", "Makulera"):
            assert f"{words}{hidden.format(name)}</summary>" in page
        for words in ("Ja, förnya", "Ja, makulera"):
            assert f"{words}{hidden.format(name)}</button>" in page


def test_a_time_lock_is_shown_only_where_there_is_a_next_withdrawal(
    client, auth, setup
):
    """The walkthrough: a pump prescribed for one withdrawal read "Spärrtid 243
    dagar", a lock on a withdrawal that cannot come."""
    make_prescription(setup["patient"], setup["first"], withdrawals=4, lock_days=60)
    pump = make_article("P-1", name="Pumpen", category="pump", units_per_day=None,
                        amortisation_years=4, serial_tracked=True)  # fmt: skip
    make_prescription(setup["patient"], pump, withdrawals=1, lock_days=243)
    auth.login("nurse")
    page = text_of(client.get(f"/patients/{setup['patient'].id}/prescriptions"))
    assert "Spärrtid 60 dagar" in re.sub(r"\s+", " ", page)
    assert "243 dagar" not in page


def test_list_badges_follow_the_computed_status(client, auth, setup):
    patient, article = setup["patient"], setup["first"]
    make_prescription(
        patient,
        article,
        valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=40),
    )
    make_prescription(patient, article, withdrawals_used=4)
    make_prescription(patient, article, status="cancelled")
    auth.login("nurse")
    # Expired and cancelled ones are behind the "all" filter.
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions?show=all"))
    assert "Giltighetstiden har gått ut" in page
    assert "Alla uttag gjorda" in page
    assert 'badge-err">Makulerad' in page


def test_every_status_badge_is_in_english_too(client, auth, setup):
    """In English the list said "Used up", "Expired", "Cancelled" and "Aktiv"."""
    patient, article = setup["patient"], setup["first"]
    make_prescription(patient, article)
    make_prescription(patient, article, status="cancelled")
    auth.login("nurse")
    client.post("/language", data={"locale": "en"})
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions?show=all"))
    assert 'badge-ok">Active' in page
    assert 'badge-err">Cancelled' in page
    assert "Aktiv" not in page and "Makulerad" not in page


def test_a_renewal_that_starts_later_is_not_called_active_yet(client, auth, setup):
    """A renewal starting when the current one ends was listed as "Aktiv"
    beside it, as if the patient had two prescriptions in force."""
    patient, article = setup["patient"], setup["first"]
    current = make_prescription(patient, article, valid_to=TODAY + timedelta(days=30))
    make_prescription(
        patient, article, renewed_from_id=current.id,
        valid_from=TODAY + timedelta(days=31), valid_to=TODAY + timedelta(days=395),
    )  # fmt: skip
    auth.login("nurse")
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))
    assert page.count('badge-ok">Aktiv') == 1
    assert re.search(r'badge-muted">Gäller från \d', page)


def test_a_second_prescription_of_an_article_in_force_is_confirmed_first(
    client, auth, setup
):
    """A second active prescription of the same article was saved without a
    word: the patient could then order from both, the time lock of the first
    meaning nothing."""
    patient = setup["patient"]
    current = make_prescription(
        patient, setup["first"], valid_to=TODAY + timedelta(200)
    )
    auth.login("nurse")
    response = client.post(new_url(patient), data=form_data())
    assert response.status_code == 422
    page = text_of(response)
    assert "Patienten har redan en aktuell förskrivning av Quick-set" in page
    day = format_date(current.valid_to, "d MMMM y", locale="sv_SE")
    assert f"giltig till {day}." in page  # as the reader writes a day
    assert "Förnya den i stället" in page
    assert "Patienten har redan en aktuell förskrivning av artikeln." in error_next_to(
        page, "article_no"
    )
    assert 'name="duplicate_confirmed"' in page
    assert count_prescriptions() == 1
    confirmed = form_data(duplicate_confirmed="y")
    assert client.post(new_url(patient), data=confirmed).status_code == 302
    assert count_prescriptions() == 2
    # One that ends before the new one starts is no duplicate.
    second = db.session.scalars(
        sa.select(Prescription).where(Prescription.id != current.id)
    ).one()
    second.status = "cancelled"
    current.valid_to = TODAY + timedelta(10)
    db.session.commit()
    later = form_data(valid_from=(TODAY + timedelta(11)).isoformat())
    assert client.post(new_url(patient), data=later).status_code == 302


def test_the_api_keeps_creating_a_second_prescription_as_before(client, setup):
    """The API's callers script against it (interfaces.md): no new refusal."""
    from sesamlike.prescriptions import services

    patient = setup["patient"]
    make_prescription(patient, setup["first"])
    made = services.prescribe(
        setup["nurse"], patient.id, "100101", 2, 4, 90, TODAY, clinic_code="OWN"
    )
    assert made.id is not None


def test_a_start_so_early_that_the_prescription_has_ended_is_refused(
    client, auth, setup
):
    """Giltig från 2020-01-01 was saved ("Förskrivningen ... är sparad."), ended
    at birth and hidden from the list: the nurse believed the patient had it."""
    patient = setup["patient"]
    auth.login("nurse")
    response = client.post(new_url(patient), data=form_data(valid_from="2020-01-01"))
    assert response.status_code == 422
    assert "redan ha gått ut" in error_next_to(text_of(response), "valid_from")
    assert count_prescriptions() == 0
    # Told with the other faults, not after them.
    both = form_data(valid_from="2020-01-01", packs_per_withdrawal="0")
    page = text_of(client.post(new_url(patient), data=both))
    assert "redan ha gått ut" in error_next_to(page, "valid_from")
    assert error_next_to(page, "packs_per_withdrawal")
    # Started a month ago and running still: a paper prescription registered late.
    month_ago = form_data(valid_from=(TODAY - timedelta(30)).isoformat())
    assert client.post(new_url(patient), data=month_ago).status_code == 302


def test_a_start_at_the_end_of_the_calendar_is_refused_next_to_it(client, auth, setup):
    """Giltig från 9999-12-31 showed "Något gick fel": the year of validity
    added to it fell after year 9999."""
    patient = setup["patient"]
    auth.login("nurse")
    for dates in ({"valid_from": "9999-12-31"},
                  {"valid_from": "9999-12-31", "valid_to": "9999-12-31"}):  # fmt: skip
        response = client.post(new_url(patient), data=form_data(**dates))
        assert response.status_code == 422
        page = text_of(response)
        assert "Något gick fel" not in page
        assert error_next_to(page, "valid_from") == (
            "Datumet ligger för långt fram i tiden."
        )
    assert count_prescriptions() == 0
    old = make_prescription(patient, setup["first"])
    renew = f"/patients/{patient.id}/prescriptions/{old.id}/renew"
    # The page renews with the old terms; the API may name a start (tested there).
    assert client.post(renew).status_code == 302


def test_pages_of_a_patient_of_another_clinic_are_404(client, auth, setup):
    stranger = setup["stranger"]
    existing = make_prescription(stranger, setup["first"])
    auth.login("nurse")
    assert client.get(f"/patients/{stranger.id}/prescriptions").status_code == 404
    assert client.get(new_url(stranger)).status_code == 404
    assert client.post(new_url(stranger), data=form_data()).status_code == 404
    base = f"/patients/{stranger.id}/prescriptions/{existing.id}"
    assert client.post(f"{base}/cancel").status_code == 404
    assert client.post(f"{base}/renew").status_code == 404
    # The prescription exists, but not under this patient's URL.
    mine = f"/patients/{setup['patient'].id}/prescriptions/{existing.id}/cancel"
    assert client.post(mine).status_code == 404
    assert db.session.get(Prescription, existing.id).status == "active"


@pytest.mark.parametrize("role", ["manager", "depot", "region"])
def test_non_prescribers_neither_read_the_list_nor_prescribe(client, auth, setup, role):
    """Need to know (issue 15): the patient record is the prescriber's."""
    make_user(
        role, clinics=[setup["clinic"]] if role == "manager" else [], username="viewer"
    )
    existing = make_prescription(setup["patient"], setup["first"])
    auth.login("viewer")
    patient_id = setup["patient"].id
    listing = client.get(f"/patients/{patient_id}/prescriptions")
    assert listing.status_code == 403 and "Quick-set" not in text_of(listing)
    assert client.get(new_url(setup["patient"])).status_code == 403
    assert client.post(new_url(setup["patient"]), data=form_data()).status_code == 403
    base = f"/patients/{patient_id}/prescriptions/{existing.id}"
    assert client.post(f"{base}/cancel").status_code == 403
    assert client.post(f"{base}/renew").status_code == 403
    assert count_prescriptions() == 1


def test_pages_need_a_login(client, setup):
    response = client.get(f"/patients/{setup['patient'].id}/prescriptions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_new_form_offers_prescribable_articles_grouped_with_marks(client, auth, setup):
    make_article("NP1", name="Mio Advance", procured=False, first_choice_rank=None)
    make_article("R2", name="Silhouette", first_choice_rank=2)
    make_article("OLD", name="Inset 30", valid_to=TODAY - timedelta(days=1))
    make_article("NEW", name="Framtida", valid_from=TODAY + timedelta(days=5))
    make_article("S1", name="Libre-sensor", category="cgm_sensor")
    auth.login("nurse")
    response = client.get(new_url(setup["patient"]))
    assert response.status_code == 200
    page = text_of(response)
    assert "Astrid Lind" in page and "19900102-9801" in page
    assert '<optgroup label="Infusionsset">' in page
    assert '<optgroup label="CGM-sensor">' in page
    assert "Quick-set (100101) · MiniMed 640G · ★ förstahandsval" in page
    assert "Mio Advance (NP1) · ej upphandlad" in page
    assert "Silhouette (R2) · upphandlad, ej förstahandsval" in page
    assert "Inset 30" not in page and "Framtida" not in page
    assert "krävs när artikeln inte är upphandlad" in page
    assert f'value="{TODAY.isoformat()}"' in page
    assert '<label for="reason_code">Orsakskod</label>' in page
    assert "Medicinska skäl (t.ex. hudproblem, allergi)" in page


def test_valid_form_saves_and_returns_to_the_list(client, auth, setup):
    auth.login("nurse")
    response = client.post(new_url(setup["patient"]), data=form_data())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/patients/{setup['patient'].id}/prescriptions"
    )
    page = text_of(client.get(response.headers["Location"]))
    assert "Förskrivningen av Quick-set är sparad." in page
    saved = db.session.scalars(sa.select(Prescription)).one()
    assert (saved.packs_per_withdrawal, saved.lock_days, saved.cost_centre) == (
        2,
        60,
        "KS1001",
    )


def test_missing_reason_is_shown_next_to_the_fields_and_nothing_is_written(
    client, auth, setup
):
    make_article("NP1", name="Mio Advance", procured=False, first_choice_rank=None)
    auth.login("nurse")
    response = client.post(new_url(setup["patient"]), data=form_data(article_no="NP1"))
    assert response.status_code == 422
    page = text_of(response)
    assert "Mio Advance (NP1) är inte upphandlad" in page
    assert error_next_to(page, "reason_code") == "Välj en orsakskod."
    assert error_next_to(page, "reason_text") == "Skriv en motivering."
    assert '<option selected value="NP1">' in page
    assert count_prescriptions() == 0
    # Nothing but the record of the patient read for the page shown again.
    assert db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.object_type)
    ).all() == [("read", "patient")]
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(
            article_no="NP1", reason_code="medical", reason_text="Allergi mot tejpen"
        ),
    )
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Prescription)).one().reason_code == "medical"


def test_not_first_choice_needs_a_deviation_reason(client, auth, setup):
    make_article("R2", first_choice_rank=2)
    auth.login("nurse")
    response = client.post(new_url(setup["patient"]), data=form_data(article_no="R2"))
    assert response.status_code == 422
    assert "inte förstahandsval i sin kategori" in text_of(response)


def test_first_pump_without_the_right_is_refused_on_the_form(client, auth, setup):
    make_article(
        "P1", name="MiniMed 640G insulinpump", category="pump", units_per_day=None
    )
    newcomer = make_patient(setup["clinic"])  # never had a pump
    auth.login("nurse")
    response = client.post(
        new_url(newcomer),
        data=form_data(article_no="P1", packs_per_withdrawal="1", withdrawals="1"),
    )
    assert response.status_code == 403
    page = text_of(response)
    assert "kräver förskrivningsrätt för nyförskrivning" in page
    assert "rätt till nyförskrivning" in error_next_to(page, "article_no")
    assert count_prescriptions() == 0


def test_phased_out_article_posted_anyway_is_refused(client, auth, setup):
    make_article("OLD", valid_to=TODAY - timedelta(days=1))
    auth.login("nurse")
    response = client.post(new_url(setup["patient"]), data=form_data(article_no="OLD"))
    assert response.status_code == 422
    page = text_of(response)
    assert "är utgången sedan" in page and "Välj en artikel i gällande avtal" in page
    assert count_prescriptions() == 0


def test_wrong_numbers_and_dates_are_shown_next_to_their_fields(client, auth, setup):
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(packs_per_withdrawal="två", valid_from="igår"),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "packs_per_withdrawal") == "Ange ett heltal."
    assert error_next_to(page, "valid_from") == "Ange ett datum som ÅÅÅÅ-MM-DD."
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(
            valid_to=(TODAY + timedelta(days=400)).isoformat(), withdrawals=""
        ),
    )
    page = text_of(response)
    assert "Giltigheten får vara högst ett år" in error_next_to(page, "valid_to")
    assert error_next_to(page, "withdrawals") == "Obligatoriskt."
    assert count_prescriptions() == 0


def test_renew_button_makes_a_renewal(client, auth, setup):
    old = make_prescription(setup["patient"], setup["first"], withdrawals_used=4)
    auth.login("nurse")
    url = f"/patients/{setup['patient'].id}/prescriptions/{old.id}/renew"
    response = client.post(url, follow_redirects=True)
    page = text_of(response)
    assert "Förskrivningen av Quick-set är förnyad och gäller" in page
    renewal = db.session.scalars(
        sa.select(Prescription).where(Prescription.renewed_from_id == old.id)
    ).one()
    assert renewal.valid_from == TODAY
    assert "Förnyelse av" in page
    again = text_of(client.post(url, follow_redirects=True))
    assert "Förskrivningen är redan förnyad" in again


def test_cancelling_warns_of_an_order_on_the_prescription_not_delivered(
    client, auth, setup
):
    """ "Makulera förskrivningen? Inga fler uttag kan göras på den." and no
    word of the order placed on it, still being packed: the nurse believed the
    cancellation stopped it, and the goods went out all the same."""
    from tests.factories import make_order_line

    patient, article = setup["patient"], setup["first"]
    open_rx = make_prescription(patient, article)
    quiet_rx = make_prescription(patient, article)
    order = make_order_line(patient, article, "reserved", prescription_id=open_rx.id)
    make_order_line(patient, article, "delivered", prescription_id=quiet_rx.id)
    auth.login("nurse")
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))
    rows = {row.split('id="rx-')[1].split('"')[0]: row for row in page.split("<tr")[2:]}
    warning = "på förskrivningen är inte levererad än och levereras ändå"
    assert warning in rows[str(open_rx.id)]
    assert f'href="/orders/{order.id}"' in rows[str(open_rx.id)]
    assert warning not in rows[str(quiet_rx.id)]
    # A shipped order cannot be cancelled: the page does not advise it.
    db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.order_id == order.id)
        .values(status="shipped")
    )
    db.session.commit()
    page = text_of(client.get(f"/patients/{patient.id}/prescriptions"))
    rows = {row.split('id="rx-')[1].split('"')[0]: row for row in page.split("<tr")[2:]}
    assert "redan skickad och kommer fram ändå" in rows[str(open_rx.id)]
    assert warning not in rows[str(open_rx.id)]


def test_cancel_button_cancels_and_a_second_cancel_says_so(client, auth, setup):
    existing = make_prescription(setup["patient"], setup["first"])
    auth.login("nurse")
    url = f"/patients/{setup['patient'].id}/prescriptions/{existing.id}/cancel"
    page = text_of(client.post(url, follow_redirects=True))
    assert "Förskrivningen av Quick-set är makulerad." in page
    assert 'badge-err">Makulerad' in page
    assert db.session.get(Prescription, existing.id).status == "cancelled"
    page = text_of(client.post(url, follow_redirects=True))
    assert "Förskrivningen är redan makulerad. Inget har ändrats." in page


def test_buttons_ask_for_confirmation(client, auth, setup):
    make_prescription(setup["patient"], setup["first"])
    auth.login("nurse")
    page = text_of(client.get(f"/patients/{setup['patient'].id}/prescriptions"))
    assert '<summary>Makulera<span class="visually-hidden"> Quick-set</span>' in page
    assert "Makulera förskrivningen? Inga fler uttag kan göras på den." in page
    assert "Ja, makulera" in page and "Ja, förnya" in page


def test_forms_need_the_csrf_token(app, client, auth, setup, monkeypatch):
    existing = make_prescription(setup["patient"], setup["first"])
    auth.login("nurse")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    patient_id = setup["patient"].id
    assert client.post(new_url(setup["patient"]), data=form_data()).status_code == 400
    cancel = f"/patients/{patient_id}/prescriptions/{existing.id}/cancel"
    assert client.post(cancel).status_code == 400
    assert count_prescriptions() == 1
    token = csrf_token_from(
        client.get(new_url(setup["patient"])).get_data(as_text=True)
    )
    confirmed = form_data(csrf_token=token, duplicate_confirmed="y")  # of `existing`
    response = client.post(new_url(setup["patient"]), data=confirmed)
    assert response.status_code == 302
    listing = client.get(f"/patients/{patient_id}/prescriptions").get_data(as_text=True)
    assert (
        client.post(cancel, data={"csrf_token": csrf_token_from(listing)}).status_code
        == 302
    )


def test_english_pages_and_messages(client, auth, setup):
    make_article("NP1", name="Mio Advance", procured=False, first_choice_rank=None)
    auth.login("nurse")
    client.post("/language", data={"locale": "en", "next": "/"})
    page = text_of(
        client.post(new_url(setup["patient"]), data=form_data(article_no="NP1"))
    )
    assert "Mio Advance (NP1) is not procured." in page
    assert error_next_to(page, "reason_code") == "Choose a reason code."
    assert "Packs per withdrawal" in page and "New prescription" in page
    listing = text_of(client.get(f"/patients/{setup['patient'].id}/prescriptions"))
    assert "The patient has no prescriptions." in listing


def test_reading_the_list_is_audited(client, auth, setup):
    auth.login("nurse")
    client.get(f"/patients/{setup['patient'].id}/prescriptions")
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.patient_id, AuditEvent.channel)
    ).all()
    assert rows == [("read", setup["patient"].id, "web")]


@pytest.mark.parametrize(
    "locale, since",
    [("sv", "sedan 30 juni 2018"), ("en", "phased out on 30 June 2018")],
)
def test_phased_out_refusal_writes_its_date_in_the_readers_language(
    client, auth, setup, locale, since
):
    make_article("OLD", valid_to=date(2018, 6, 30))
    auth.login("nurse")
    client.post("/language", data={"locale": locale})
    response = client.post(new_url(setup["patient"]), data=form_data(article_no="OLD"))
    page = text_of(response)
    assert since in page and "2018-06-30" not in page


def test_a_missing_article_and_wrong_quantities_are_shown_at_once(client, auth, setup):
    """The nurse mends the form once: before, the quantities' errors came only
    after the article had been chosen and the form sent again."""
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(article_no="", packs_per_withdrawal="0", period_days="900"),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "article_no") == "Obligatoriskt."
    assert (
        error_next_to(page, "packs_per_withdrawal")
        == "Ange 1–999 förpackningar per uttag."
    )
    assert error_next_to(page, "period_days") == "Ange en period på 1–730 dagar."
    assert count_prescriptions() == 0


def test_an_unknown_article_keeps_the_last_days_check_for_its_category(
    client, auth, setup
):
    """Two years is too long for most articles but not for CGM sensors: with
    no known article the last day is not judged yet."""
    auth.login("nurse")
    two_years = (TODAY + timedelta(days=600)).isoformat()
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(article_no="NOSUCH", valid_to=two_years),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Artikeln finns inte" in error_next_to(page, "article_no")
    assert 'id="valid_to-error"' not in page


def test_a_quantity_far_above_the_expected_use_asks_to_be_confirmed(
    client, auth, setup
):
    """50 for 5 is one key: before, it was saved and the patient could order
    ten times the need. Quick-set: 10 a pack, a set every third day: 3 packs
    last 90 days; more than 1.5 times that asks the nurse to confirm."""
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]), data=form_data(packs_per_withdrawal="5")
    )
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "Quick-set: 5 per uttag räcker till mer än 1,5 gånger förväntad användning "
        "under uttagets period, som är ungefär 3 förpackningar." in page
    )
    assert (
        error_next_to(page, "packs_per_withdrawal")
        == "Mer än 1,5 gånger förväntad användning."
    )
    assert 'name="quantity_confirmed"' in page
    assert count_prescriptions() == 0

    response = client.post(
        new_url(setup["patient"]),
        data=form_data(packs_per_withdrawal="5", quantity_confirmed="y"),
    )
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Prescription)).one().packs_per_withdrawal == 5


def test_many_withdrawals_with_no_time_lock_ask_to_be_confirmed(client, auth, setup):
    """The walkthrough: 3 packs x 40 withdrawals, lock 0, was saved with no
    question: 1,200 sets for a year where about 120 are expected, orderable
    back to back. Each pack per withdrawal was within its own period."""
    auth.login("nurse")
    data = form_data(packs_per_withdrawal="3", withdrawals="40", lock_days="0")
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "Quick-set: 40 uttag med 3 per uttag räcker till mer än 1,5 gånger "
        "förväntad användning under giltighetstiden, som är ungefär 13 "
        "förpackningar." in page
    )
    assert error_next_to(page, "withdrawals") == (
        "Totalt mer än 1,5 gånger förväntad användning under giltighetstiden."
    )
    assert error_next_to(page, "lock_days") == (
        "Uttagen kan tas mer än dubbelt så tätt som perioden."
    )
    assert 'id="packs_per_withdrawal-error"' not in page
    assert 'name="quantity_confirmed"' in page
    assert count_prescriptions() == 0

    data["quantity_confirmed"] = "y"
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Prescription)).one().withdrawals == 40


def test_more_in_all_than_the_validity_needs_asks_to_be_confirmed(client, auth, setup):
    """8 withdrawals of 90 days in one year: 240 sets where 122 are expected."""
    auth.login("nurse")
    data = form_data(packs_per_withdrawal="3", withdrawals="8", lock_days="45")
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "withdrawals") == (
        "Totalt mer än 1,5 gånger förväntad användning under giltighetstiden."
    )
    assert 'id="lock_days-error"' not in page
    assert 'name="quantity_confirmed"' in page
    assert count_prescriptions() == 0


def test_a_time_lock_below_half_the_period_asks_to_be_confirmed(client, auth, setup):
    """4 withdrawals of 90 days is a year's need; a lock of 44 days lets all
    four be taken within about four months."""
    auth.login("nurse")
    data = form_data(packs_per_withdrawal="3", lock_days="44")
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert (
        "Quick-set: med en spärrtid kortare än halva perioden kan uttagen tas mer "
        "än dubbelt så tätt som de ska räcka." in page
    )
    assert error_next_to(page, "lock_days") == (
        "Uttagen kan tas mer än dubbelt så tätt som perioden."
    )
    assert 'id="withdrawals-error"' not in page
    assert 'name="quantity_confirmed"' in page
    assert count_prescriptions() == 0


@pytest.mark.parametrize(
    "terms",
    [
        {"lock_days": "45"},  # half the period: twice as fast at most
        {"withdrawals": "1", "lock_days": "0"},  # no next withdrawal to lock
        {"withdrawals": "6"},  # 180 sets in a year: within 1.5 times 122
        {"valid_to": (TODAY + timedelta(days=29)).isoformat(), "withdrawals": "1"},
    ],
)
def test_usual_totals_and_time_locks_need_no_confirmation(client, auth, setup, terms):
    auth.login("nurse")
    data = form_data(packs_per_withdrawal="3", **terms)
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 302, text_of(response)


def test_the_api_takes_many_withdrawals_with_no_time_lock_as_given(client, setup):
    from sesamlike.accounts.services import issue_token

    response = client.post(
        "/api/v1/prescriptions",
        headers={"Authorization": f"Bearer {issue_token('nurse')}"},
        json={"patient_id": setup["patient"].id, "article_no": "100101",
              "packs_per_withdrawal": 3, "withdrawals": 40, "period_days": 90,
              "lock_days": 0, "valid_from": TODAY.isoformat(), "clinic_code": "OWN"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()


def test_a_start_months_ahead_asks_to_be_confirmed(client, auth, setup):
    """The walkthrough: Giltig från years ahead was saved with no question,
    counted among the current prescriptions, and blocked ordering until then."""
    auth.login("nurse")
    start = TODAY + timedelta(days=91)
    data = form_data(valid_from=start.isoformat())
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert (
        f"Förskrivningen börjar gälla först {format_date(start, 'd MMMM y', 'sv')}, "
        "om 91 dagar: patienten kan inte beställa på den förrän dess." in page
    )
    assert error_next_to(page, "valid_from") == "Mer än 90 dagar fram i tiden."
    assert 'name="start_confirmed"' in page
    assert count_prescriptions() == 0

    data["start_confirmed"] = "y"
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 302
    assert db.session.scalars(sa.select(Prescription)).one().valid_from == start


def test_a_start_within_90_days_needs_no_confirmation(client, auth, setup):
    auth.login("nurse")
    assert 'name="start_confirmed"' not in text_of(
        client.get(new_url(setup["patient"]))
    )
    start = (TODAY + timedelta(days=90)).isoformat()
    response = client.post(new_url(setup["patient"]), data=form_data(valid_from=start))
    assert response.status_code == 302


def test_a_start_more_than_two_years_ahead_is_refused(client, auth, setup):
    auth.login("nurse")
    latest = add_years(TODAY, 2)
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(valid_from=latest.isoformat(), start_confirmed="y"),
    )
    assert response.status_code == 302
    start = latest + timedelta(days=1)
    data = form_data(
        valid_from=start.isoformat(), start_confirmed="y", duplicate_confirmed="y"
    )
    response = client.post(new_url(setup["patient"]), data=data)
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "valid_from") == (
        "Förskrivningen får börja gälla högst två år fram i tiden. Välj ett "
        "tidigare startdatum."
    )
    assert count_prescriptions() == 1


def test_the_api_records_a_start_years_ahead_as_given(client, setup):
    """interfaces.md sets no limit on valid_from: a region's script is not refused."""
    from sesamlike.accounts.services import issue_token

    response = client.post(
        "/api/v1/prescriptions",
        headers={"Authorization": f"Bearer {issue_token('nurse')}"},
        json={"patient_id": setup["patient"].id, "article_no": "100101",
              "packs_per_withdrawal": 2, "withdrawals": 4, "period_days": 90,
              "valid_from": "2031-01-01", "clinic_code": "OWN"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()


def test_every_fault_of_the_quantities_is_said_at_once(client, auth, setup):
    """The walkthrough: packs -3, withdrawals 0 and period "abc" said only
    "Ange ett heltal." of the period; the others came one try at a time."""
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]),
        data=form_data(packs_per_withdrawal="-3", withdrawals="0", period_days="abc"),
    )
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "period_days") == "Ange ett heltal."
    assert error_next_to(page, "packs_per_withdrawal") == (
        "Ange 1–999 förpackningar per uttag."
    )
    assert error_next_to(page, "withdrawals") == "Ange 1–99 uttag."
    assert count_prescriptions() == 0


def test_a_negative_time_lock_is_said_while_the_period_is_wrong_too(
    client, auth, setup
):
    """The walkthrough: lock -5 with period "abc" said only the period; the
    lock came up once the period was mended."""
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]), data=form_data(period_days="abc", lock_days="-5")
    )
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "period_days") == "Ange ett heltal."
    assert error_next_to(page, "lock_days") == (
        "Spärrtiden ska vara 0 dagar till hela perioden."
    )
    assert count_prescriptions() == 0


def test_a_quantity_out_of_range_is_not_offered_to_be_confirmed(client, auth, setup):
    """The walkthrough: 999999 per withdrawal asked "Minska mängden, eller
    bekräfta att den stämmer" beside "Ange 1–999": confirming could not help."""
    auth.login("nurse")
    response = client.post(
        new_url(setup["patient"]), data=form_data(packs_per_withdrawal="999999")
    )
    assert response.status_code == 422
    page = text_of(response)
    assert error_next_to(page, "packs_per_withdrawal") == (
        "Ange 1–999 förpackningar per uttag."
    )
    assert "bekräfta att den stämmer" not in page
    assert 'name="quantity_confirmed"' not in page
    assert count_prescriptions() == 0


def test_the_expected_use_with_room_needs_no_confirmation(client, auth, setup):
    auth.login("nurse")
    page = text_of(client.get(new_url(setup["patient"])))
    assert 'name="quantity_confirmed"' not in page
    # 4 packs: 40 sets for 90 days, within 1.5 times the 30 expected.
    response = client.post(
        new_url(setup["patient"]), data=form_data(packs_per_withdrawal="4")
    )
    assert response.status_code == 302


def test_the_api_prescribes_as_before_without_a_confirmation(client, setup):
    """The contract has no confirmation: a region's script is not refused."""
    from sesamlike.accounts.services import issue_token

    response = client.post(
        "/api/v1/prescriptions",
        headers={"Authorization": f"Bearer {issue_token('nurse')}"},
        json={"patient_id": setup["patient"].id, "article_no": "100101",
              "packs_per_withdrawal": 5, "withdrawals": 4, "period_days": 90,
              "valid_from": TODAY.isoformat(), "clinic_code": "OWN"},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
