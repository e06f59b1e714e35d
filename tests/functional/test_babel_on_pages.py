"""Dates, counts and channels on the patient and follow-up pages are written as
the reader's language writes them (Babel), never as raw ISO dates or bare digits."""

from datetime import date
from decimal import Decimal

import pytest

from sesamlike.extensions import db
from sesamlike.followup.runs import run_year
from sesamlike.patients.models import Address
from sesamlike.patients.pseudonym import pseudonym
from tests import factories as f

YEAR = 2025
NBSP, NNBSP = "\u00a0", "\u202f"


def spaced(text: str) -> str:
    """Babel's Swedish group and currency spaces, as plain spaces to compare."""
    return text.replace(NBSP, " ").replace(NNBSP, " ")


def page(client, url: str, locale: str) -> str:
    client.post("/language", data={"locale": locale})
    response = client.get(url)
    assert response.status_code == 200
    return spaced(response.get_data(as_text=True))


@pytest.mark.parametrize(
    "locale, birth, lma, temporary",
    [
        ("sv", "1990-05-17", "2026-09-30", "2026-06-01 – 2026-08-31"),
        ("en", "17 May 1990", "30 Sept 2026", "1 Jun 2026 – 31 Aug 2026"),
    ],
)
def test_patient_page_writes_its_dates_in_the_readers_language(
    client, auth, locale, birth, lma, temporary
):
    clinic = f.make_clinic()
    patient = f.make_patient(
        clinic, birth_date=date(1990, 5, 17), lma_number="LMA123",
        lma_valid_to=date(2026, 9, 30),
    )  # fmt: skip
    patient.addresses.append(Address(
        kind="temporary", street="Sommarvägen 1", postal_code="45230",
        city="Strömstad", valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 31),
    ))  # fmt: skip
    db.session.commit()
    f.make_user("prescriber", clinics=[clinic], username="doktor")
    auth.login("doktor")
    html = page(client, f"/patients/{patient.id}", locale)
    assert birth in html and lma in html and temporary in html
    if locale == "en":
        assert "1990-05-17" not in html and "2026-09-30" not in html


@pytest.fixture
def bulk():
    """A clinic whose one patient got 2,500 packs of five units and 1,250 of a
    device (delivered in March, returned in June) in 2025; costs computed."""
    clinic = f.make_clinic("BULK")
    patient = f.make_patient(clinic)
    sets = f.make_article(
        "SET5", pack_size=5, pack_price_sek=Decimal("10.00"), valid_to=None
    )
    device = f.make_article(
        "DEV1", category="pump", pack_size=1, units_per_day=None,
        amortisation_years=4, pack_price_sek=Decimal("100.00"),
    )  # fmt: skip
    f.make_delivered_line(patient, sets, date(YEAR, 3, 2), packs=2500)
    f.make_delivered_line(
        patient, device, date(YEAR, 3, 2), packs=1250, returned_on=date(YEAR, 6, 15)
    )
    run_year(YEAR, full=True)
    f.make_user("region", username="analys")
    return patient


@pytest.mark.parametrize(
    "locale, units, delivered, returned, channel",
    [
        ("sv", "12 500", "2025-03-02", "2025-06-15", "Hjälpmedelscentral"),
        ("en", "12,500", "2 Mar 2025", "15 Jun 2025", "Aids centre"),
    ],
)
def test_follow_up_writes_counts_dates_and_channels_in_the_readers_language(
    client, auth, bulk, locale, units, delivered, returned, channel
):
    auth.login("analys")
    articles = page(client, f"/followup/articles?year={YEAR}", locale)
    assert f'<td class="num">{units}</td>' in articles
    assert ">12500<" not in articles
    # The region's patient page is keyed by the pseudonym (privacy review).
    key = pseudonym(bulk.id)
    detail = page(client, f"/followup/patients/{key}?year={YEAR}", locale)
    packs = "1 250" if locale == "sv" else "1,250"
    assert f'<td class="num">{packs}</td>' in detail
    assert f"<tr><td>{delivered}</td>" in detail
    assert f"<td>{returned}</td>" in detail
    assert f"<td>{channel}</td>" in detail
    assert "<td>central</td>" not in detail


@pytest.mark.parametrize(
    "locale, shown", [("sv", "12 500 rader"), ("en", "12,500 lines")]
)
def test_a_counted_sentence_groups_the_digits_of_its_count(app, locale, shown):
    from flask_babel import force_locale

    from sesamlike.common.i18n import ngettext

    with app.test_request_context(), force_locale(locale):
        text = ngettext("{n} rad", "{n} rader", 12500)
    assert spaced(text) == shown
