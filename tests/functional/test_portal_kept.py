""" "My aids" kept between views (portal.kept), and never kept past a change.

Each change below goes in the way its real writer makes it (the portal's own
reorder, or a core UPDATE as jobs and imports do), and the page shown after it
must equal the page built from scratch: the database's data versions
(migrations 0024, 0025) move with every such change.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent, UserSession
from sesamlike.catalog.models import Article
from sesamlike.common import data_versions
from sesamlike.common.formatting import format_date
from sesamlike.common.time import utcnow
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.patients.care import begin_episode
from sesamlike.patients.models import Patient
from sesamlike.portal import display, services
from sesamlike.portal.kept import KeptPages, kept_pages
from sesamlike.prescriptions.models import Prescription
from sesamlike.stock.models import Device
from tests.conftest import is_postgres
from tests.factories import make_clinic, make_delivery, make_order, make_patient
from tests.functional.test_portal import choose, statements_of, text_of
from tests.portal_data import TODAY, make_region, reorder_form


@pytest.fixture
def region():
    return make_region()


def body(response) -> str:
    """The page's own part: what comes after the heading, to the end of main."""
    text = text_of(response)
    return text[text.index("</h1>") : text.index("</main>")]


def page(client) -> str:
    response = client.get("/portal/")
    assert response.status_code == 200
    return body(response)


def built_afresh(client) -> str:
    """The page as it is without anything kept (and keeping nothing of it)."""
    store = kept_pages()
    saved = store.capacity
    store.clear()
    store.capacity = 0
    try:
        return page(client)
    finally:
        store.capacity = saved


def use_withdrawals(prescription_id: int, used) -> None:
    """Set a prescription's withdrawals used with a core UPDATE (not committed)."""
    db.session.execute(
        sa.update(Prescription)
        .where(Prescription.id == prescription_id)
        .values(withdrawals_used=used)
    )


def read_my_aids_rows(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.user_id == user.id, AuditEvent.action == "read_my_aids")
    )


def assert_shows_the_change(client, before: str) -> str:
    after = page(client)
    assert after != before
    assert after == built_afresh(client)
    return after


def test_my_aids_seen_again_is_not_rebuilt_but_still_checked_and_audited(
    client, auth, region
):
    auth.login("ella")
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=5))
    first = statements_of(client, "/portal/")
    again = statements_of(client, "/portal/")
    # The prescriptions, devices, orders and caring clinics are not read again...
    assert len(again) == len(first) - 4, (first, again)
    assert not [s for s in again if "FROM devices" in s or "FROM order_lines" in s]
    assert not [s for s in again if "care_relationships" in s]
    # ...but the login, the access check (the patient row), the data versions
    # and the audit row are.
    assert any("JOIN patients" in s or "FROM patients" in s for s in again)
    assert any("patient_data_changes" in s for s in again)
    assert any("INSERT INTO audit_events" in s for s in again)
    # Two in all for a patient login: the login with the patient's own row and
    # data versions beside it (each was a statement of its own), the audit row.
    assert len(again) == 2, again
    assert read_my_aids_rows(region.patient_user) == 2
    assert page(client) == built_afresh(client)


def test_the_login_reads_the_data_versions_for_my_aids_alone(client, auth, region):
    """The versions are the key of "my aids" only: the patient's other pages
    sent the login's three lookups of them for nothing on every request."""
    auth.login("ella")
    order = make_delivery(region.patient, region.rx_infusion, TODAY)
    for path in ("/portal/order", "/portal/orders", f"/portal/orders/{order.id}",
                 f"/portal/prescriptions/{region.rx_infusion.id}"):  # fmt: skip
        statements = statements_of(client, path)
        assert not [s for s in statements if "patient_data_changes" in s], path
        # The login still brings the patient's own record beside it.
        assert "user_sessions" in statements[0] and "patients" in statements[0]
    # A reorder's review step, a POST.
    form = reorder_form([(region.rx_infusion.id, 1)], action="review")
    posted = statements_of(client, "/portal/order", form)
    assert "user_sessions" in posted[0] and "patients" in posted[0]
    assert not [s for s in posted if "patient_data_changes" in s], posted
    login = statements_of(client, "/portal/")[0]
    assert "user_sessions" in login and "patient_data_changes" in login


def test_a_reorder_shows_at_once(client, auth, region):
    auth.login("ella")
    before = page(client)
    response = client.post(
        "/portal/order",
        data=reorder_form([(region.rx_infusion.id, 2)], action="send", key="k1"),
    )
    assert response.status_code == 302
    after = assert_shows_the_change(client, before)
    assert "Beställning" in after and "2 förp. Quick-set 9 mm" in after


def test_a_line_status_changed_by_a_job_shows_at_once(client, auth, region):
    order = make_order(
        region.patient, [(region.rx_reservoir, 1, "sent_to_supplier", None)]
    )
    auth.login("ella")
    before = page(client)
    # As the supplier status import writes it: one core UPDATE, no ORM.
    db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.order_id == order.id)
        .values(status="delivered", delivered_on=TODAY)
    )
    db.session.commit()
    assert_shows_the_change(client, before)


def test_a_delivery_on_the_prescription_renewed_shows_at_once(client, auth, region):
    """The renewal's "lasts until" counts the old prescription's deliveries:
    a line of the old one delivered (a job's core UPDATE) is a new page."""
    from tests.factories import make_prescription

    old = make_prescription(
        region.patient, region.infusion, valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=2),
    )  # fmt: skip
    order = make_order(region.patient, [(old, 3, "shipped", None)])
    make_prescription(
        region.patient, region.infusion, renewed_from_id=old.id, valid_from=TODAY
    )
    region.rx_infusion.status = "cancelled"  # the renewal is the only one shown
    db.session.commit()
    auth.login("ella")
    before = page(client)
    assert "Ingen leverans ännu" in before
    db.session.execute(
        sa.update(OrderLine)
        .where(OrderLine.order_id == order.id)
        .values(status="delivered", delivered_on=TODAY - timedelta(days=10))
    )
    db.session.commit()
    after = assert_shows_the_change(client, before)
    assert format_date(TODAY + timedelta(days=80)) in after


def test_a_prescription_changed_at_the_clinic_shows_at_once(client, auth, region):
    auth.login("ella")
    before = page(client)
    use_withdrawals(region.rx_reservoir.id, Prescription.withdrawals)
    db.session.commit()
    after = assert_shows_the_change(client, before)
    assert "Du har gjort alla beställningar" in after


def test_a_returned_device_leaves_the_page_at_once(client, auth, region):
    auth.login("ella")
    before = page(client)
    assert "NG1234567H" in before
    db.session.execute(
        sa.update(Device)
        .where(Device.id == region.device.id)
        .values(status="in_stock", patient_id=None)
    )
    db.session.commit()
    after = assert_shows_the_change(client, before)
    assert "NG1234567H" not in after


def test_a_renamed_article_shows_at_once(client, auth, region):
    auth.login("ella")
    before = page(client)
    db.session.execute(
        sa.update(Article)
        .where(Article.id == region.reservoir.id)
        .values(name="Reservoar 3 ml (ny)")
    )
    db.session.commit()
    after = assert_shows_the_change(client, before)
    assert "Reservoar 3 ml (ny)" in after


def test_the_next_day_is_a_new_page(client, auth, region, monkeypatch):
    # Ordered so the time lock opens tomorrow.
    rx = region.rx_infusion
    db.session.execute(
        sa.update(Prescription)
        .where(Prescription.id == rx.id)
        .values(
            withdrawals_used=1,
            last_withdrawal_on=TODAY - timedelta(days=rx.lock_days - 1),
            valid_from=TODAY - timedelta(days=rx.lock_days),
        )
    )
    db.session.commit()
    auth.login("ella")
    today = page(client)
    assert "Nästa beställning kan göras från" in today
    tomorrow = TODAY + timedelta(days=1)
    monkeypatch.setattr(services, "region_today", lambda: tomorrow)
    monkeypatch.setattr(display, "region_today", lambda: tomorrow)
    assert_shows_the_change(client, today)


def test_each_language_has_its_own_page(client, auth, region):
    auth.login("ella")
    swedish = page(client)
    client.post("/language", data={"locale": "en"})
    english = page(client)
    assert "Prescriptions" in english and "Förskrivningar" not in english
    client.post("/language", data={"locale": "sv"})
    assert page(client) == swedish


def test_a_guardian_switching_child_never_sees_the_other_childs_page(
    client, auth, region
):
    from tests.factories import make_prescription

    make_prescription(region.protected_child, region.reservoir)  # not reachable yet
    make_prescription(region.child, region.sensor)
    auth.login("anna")
    choose(client, region.child)
    olle = page(client)
    assert "Dexcom G7 sensor" in olle
    db.session.execute(
        sa.update(Patient)
        .where(Patient.id == region.protected_child.id)
        .values(protected_identity=False)
    )
    db.session.commit()
    choose(client, region.protected_child)
    sara = page(client)
    assert "Reservoar" in sara and "Dexcom G7 sensor" not in sara
    choose(client, region.child)
    assert page(client) == olle


def test_a_change_to_a_childs_aids_shows_at_once_to_the_guardian(client, auth, region):
    """A patient login's versions come with the login; a guardian's login has
    none of its own, and the child's are read for the child."""
    auth.login("anna")
    choose(client, region.child)
    before = page(client)
    again = statements_of(client, "/portal/")  # kept
    # The child's versions in a statement of their own, not the login's.
    assert [
        s for s in again if "patient_data_changes" in s and "JOIN patients" not in s
    ]
    use_withdrawals(region.rx_child.id, 2)
    db.session.commit()
    assert_shows_the_change(client, before)


def test_a_change_shows_also_on_the_view_that_refreshes_the_login(client, auth, region):
    """The login read the versions, then refreshed its last-seen time (a
    commit) before the page: the versions are read again after it."""
    auth.login("ella")
    before = page(client)
    assert page(client) == before  # kept
    db.session.execute(
        sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2))
    )
    use_withdrawals(region.rx_infusion.id, 1)
    db.session.commit()
    assert_shows_the_change(client, before)


def test_versions_read_with_the_login_serve_only_their_transaction(app, region):
    """Kept for the transaction that read them, while it has written nothing."""
    patient_id = region.patient.id
    read = data_versions.of_patient(patient_id)
    other = (read[0], read[1], read[2] + 100)  # as if read with the login

    data_versions.remember(patient_id, other)
    assert data_versions.of_patient(patient_id) == other
    use_withdrawals(region.rx_infusion.id, 1)  # a write in the same transaction
    assert data_versions.of_patient(patient_id) == (read[0], read[1], read[2] + 1)
    db.session.commit()

    data_versions.remember(patient_id, other)
    db.session.commit()  # another transaction from here on
    assert data_versions.of_patient(patient_id) == (read[0], read[1], read[2] + 1)


def test_a_patient_out_of_reach_gets_nothing_kept(client, auth, region):
    auth.login("anna")
    choose(client, region.child)
    page(client)  # Olle's body is kept now
    db.session.execute(
        sa.update(Patient)
        .where(Patient.id == region.child.id)
        .values(protected_identity=True)
    )
    db.session.commit()
    response = client.get("/portal/")
    assert response.status_code == 302  # off to choose again: the access check ran
    assert "Quick-set" not in text_of(client.get("/portal/choose"))


def test_none_kept_when_the_store_holds_none(client, auth, region, app, monkeypatch):
    monkeypatch.setitem(app.extensions, "sesamlike_kept_pages", KeptPages(0))
    auth.login("ella")
    first = statements_of(client, "/portal/")
    again = statements_of(client, "/portal/")
    assert len(again) == len(first)


def test_after_the_nightly_prune_an_old_page_never_matches_again(client, auth, region):
    auth.login("ella")
    before = page(client)
    kept_under = versions(region.patient)[0]
    catalogue = catalogue_version()
    assert data_versions.prune()["patient_changes"] >= kept_under > 0
    assert (versions(region.patient), catalogue_version()) == ([0], 0)
    # As many changes again bring both numbers back to where they were.
    for _ in range(catalogue):
        db.session.execute(
            sa.update(Article).where(Article.id == region.pump.id).values(gtin=None)
        )
        db.session.commit()
    for _ in range(kept_under - 1):
        use_withdrawals(region.rx_reservoir.id, 0)
        db.session.commit()
    use_withdrawals(region.rx_reservoir.id, Prescription.withdrawals)
    db.session.commit()
    assert (versions(region.patient), catalogue_version()) == ([kept_under], catalogue)
    after = assert_shows_the_change(client, before)
    assert "Du har gjort alla beställningar" in after


def test_the_store_drops_the_least_recently_used_first():
    store = KeptPages(2)
    store.put("a", "A")
    store.put("b", "B")
    assert store.get("a") == "A"  # now b is the oldest
    store.put("c", "C")
    assert store.get("b") is None
    assert (store.get("a"), store.get("c"), len(store)) == ("A", "C", 2)


# The database's counters themselves ------------------------------------------


def versions(*patients) -> list[int]:
    db.session.expire_all()
    return [
        db.session.scalar(data_versions.PATIENT_VERSION, {"patient_id": p.id})
        for p in patients
    ]


def test_one_statement_over_many_patients_moves_each_of_them(region):
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=3))
    make_delivery(region.child, region.rx_child, TODAY - timedelta(days=3))
    before = versions(region.patient, region.child, region.other)
    db.session.execute(sa.update(OrderLine).values(packs_returned=0))
    db.session.commit()
    after = versions(region.patient, region.child, region.other)
    assert after[0] > before[0] and after[1] > before[1]
    assert after[2] == before[2]  # no line of Bo's was written


def test_a_device_moving_between_patients_moves_both(region):
    before = versions(region.patient, region.other)
    db.session.execute(
        sa.update(Device)
        .where(Device.id == region.device.id)
        .values(patient_id=region.other.id)
    )
    db.session.commit()
    after = versions(region.patient, region.other)
    assert after[0] > before[0] and after[1] > before[1]


def test_a_clinics_name_or_address_edited_moves_each_patient_in_its_care(region):
    """ "My aids" names the caring clinic: its kept page must not go on naming
    the clinic as it was (the admin's edit writes none of the patient's rows)."""
    elsewhere = make_patient(make_clinic())
    before = versions(region.patient, region.child, elsewhere)
    region.clinic.city = "Mölndal"
    db.session.commit()
    after = versions(region.patient, region.child, elsewhere)
    assert after[0] > before[0] and after[1] > before[1]
    assert after[2] == before[2]  # cared for elsewhere


def test_a_clinic_edit_patients_are_not_shown_moves_no_version(region):
    before = versions(region.patient)
    region.clinic.cost_centre = "KS9999"
    db.session.commit()
    assert versions(region.patient) == before


def test_a_clinic_edited_while_suspended_moves_no_version(region):
    before = versions(region.patient)
    with data_versions.suspended(db.session.connection()):
        region.clinic.name = "Barn- och ungdomsdiabetes"
        db.session.flush()
    db.session.commit()
    assert versions(region.patient) == before


def test_a_care_relationship_begun_moves_the_patients_version(region):
    before = versions(region.patient)
    begin_episode(region.patient, make_clinic())
    db.session.commit()
    assert versions(region.patient)[0] > before[0]


def test_a_care_relationship_begun_or_ended_while_suspended_moves_no_version(
    region,
):
    """As the triggers: a bulk writer (`demo generate`) suspends the bumps of
    rows no page has been built from."""
    clinic = make_clinic()
    before = versions(region.patient)
    with data_versions.suspended(db.session.connection()):
        episode = begin_episode(region.patient, clinic)
        episode.ended_on = TODAY
        db.session.flush()
    db.session.commit()
    assert versions(region.patient) == before


def catalogue_version() -> int:
    return db.session.scalar(data_versions.CATALOGUE_VERSION)


def test_the_catalogue_counter_moves_with_any_article_change(region):
    before = catalogue_version()
    db.session.execute(
        sa.update(Article).where(Article.id == region.pump.id).values(name="Pump X")
    )
    db.session.commit()
    assert catalogue_version() > before


def test_an_import_of_many_articles_adds_one_catalogue_row_per_transaction(region):
    # Every portal view counts the catalogue's rows: an import that writes its
    # articles one statement each adds one on PostgreSQL (SQLite: one per row).
    before = catalogue_version()
    for article in (region.pump, region.sensor, region.infusion):
        db.session.execute(
            sa.update(Article).where(Article.id == article.id).values(gtin=None)
        )
    db.session.commit()
    assert catalogue_version() == before + (1 if is_postgres() else 3)


def test_suspended_bumps_end_with_the_transaction_even_when_it_fails(region):
    rx = region.rx_infusion
    before = versions(region.patient)
    with pytest.raises(RuntimeError):
        with data_versions.suspended(db.session.connection()):
            use_withdrawals(rx.id, 2)
            raise RuntimeError("the load failed")
    db.session.rollback()
    use_withdrawals(rx.id, 3)
    db.session.commit()
    assert versions(region.patient)[0] > before[0]


def test_suspended_bumps_write_nothing_of_a_version(region):
    before = versions(region.patient)
    with data_versions.suspended(db.session.connection()):
        use_withdrawals(region.rx_infusion.id, 2)
    db.session.commit()
    assert versions(region.patient) == before
    # And the next write, after the block, moves it again.
    use_withdrawals(region.rx_infusion.id, 1)
    db.session.commit()
    assert versions(region.patient)[0] > before[0]


def test_a_failed_suspended_block_ends_the_suspension_even_if_the_caller_commits(
    region,
):
    rx = region.rx_infusion
    before = versions(region.patient)
    with pytest.raises(RuntimeError):
        with data_versions.suspended(db.session.connection()):
            raise RuntimeError("caught by a caller that goes on")
    db.session.commit()
    use_withdrawals(rx.id, 3)
    db.session.commit()
    assert versions(region.patient)[0] > before[0]
