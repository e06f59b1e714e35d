"""The patient portal: who acts for whom, my aids, and nothing of anyone else."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from babel.dates import format_date as babel_date

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.formatting import format_date
from sesamlike.extensions import db
from tests.factories import make_delivery, make_prescription, make_role_user
from tests.portal_data import TODAY, make_region, reorder_form


@pytest.fixture
def region():
    return make_region()


def text_of(response) -> str:
    return response.get_data(as_text=True)


def without_csrf_tokens(page: str) -> str:
    """A page with its CSRF tokens blanked: each is signed with the second it was
    made in, so two requests that straddle a second differ in them alone."""
    return re.sub(
        r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page
    )


def choose(client, child):
    return client.post("/portal/choose", data={"patient_id": child.id})


# Login and whom a login acts for ----------------------------------------------


def test_patient_logs_in_on_the_staff_login_and_reaches_my_aids(client, auth, region):
    response = auth.login("ella")
    assert response.status_code == 302
    home = text_of(client.get("/"))
    assert "Mina hjälpmedel" in home and "/portal/" in home
    page = client.get("/portal/")
    assert page.status_code == 200
    assert "Quick-set 9 mm" in text_of(page)


def test_wrong_password_for_a_patient_is_refused_like_staff(client, auth, region):
    response = auth.login("ella", "wrong-password-1")
    assert response.status_code == 401
    assert client.get("/portal/").status_code == 302  # to the login page


def test_guardian_must_choose_a_child_first(client, auth, region):
    auth.login("anna")
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/choose")


def test_guardian_acts_for_the_chosen_child(client, auth, region):
    auth.login("anna")
    page = text_of(client.get("/portal/choose"))
    assert "Välj Olle Ek" in page
    response = choose(client, region.child)
    assert response.status_code == 302
    aids = text_of(client.get("/portal/"))
    assert "Du gör ärenden för Olle Ek." in aids
    assert "Hjälpmedel för Olle" in aids
    assert "Quick-set 9 mm" in aids
    assert "Reservoar 3 ml" not in aids  # the parent's... no: Ella's, not Olle's


def test_protected_child_is_listed_with_the_reason_and_cannot_be_chosen(
    client, auth, region
):
    auth.login("anna")
    page = text_of(client.get("/portal/choose"))
    # Listed by first name only (issue 15: no identity of a protected child).
    assert "Sara" in page and "Sara Ek" not in page
    assert "barnet har skyddade personuppgifter" in page
    assert "Välj Sara" not in page
    assert choose(client, region.protected_child).status_code == 404
    assert client.get("/portal/").headers["Location"].endswith("/portal/choose")


def test_a_child_who_gets_protected_identity_is_dropped_on_the_next_request(
    client, auth, region
):
    auth.login("anna")
    choose(client, region.child)
    assert client.get("/portal/").status_code == 200
    region.child.protected_identity = True
    db.session.commit()
    response = client.get("/portal/", follow_redirects=True)
    assert "Du kan inte längre göra ärenden för det barnet här." in text_of(response)
    assert client.get("/portal/order").status_code == 302


def test_guardian_cannot_choose_a_child_who_is_not_theirs(client, auth, region):
    auth.login("anna")
    assert choose(client, region.other).status_code == 404
    assert choose(client, region.patient).status_code == 404


@pytest.mark.parametrize("role", ["prescriber", "depot", "manager", "admin"])
def test_staff_do_not_use_the_portal(client, auth, region, role):
    make_role_user(role, region.clinic, username=f"staff-{role}")
    auth.login(f"staff-{role}")
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/order").status_code == 403


# Nothing of anyone else ---------------------------------------------------------


@pytest.mark.parametrize("who", ["ella", "anna"])
def test_other_patients_orders_and_prescriptions_answer_404(client, auth, region, who):
    other_order = make_delivery(region.other, region.rx_other, TODAY)
    auth.login(who)
    if who == "anna":
        choose(client, region.child)
        own_rx = region.rx_child
    else:
        own_rx = region.rx_infusion
    assert client.get(f"/portal/prescriptions/{own_rx.id}").status_code == 200
    for path in (
        f"/portal/orders/{other_order.id}",
        f"/portal/prescriptions/{region.rx_other.id}",
        "/portal/orders/999999",
        "/portal/prescriptions/999999",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/portal/orders/{other_order.id}/cancel").status_code == 404
    stolen = reorder_form([(region.rx_other.id, 1)], action="send")
    assert client.post("/portal/order", data=stolen).status_code == 404


def test_guardian_does_not_see_the_other_childs_order_while_acting_for_one(
    client, auth, region
):
    own = make_delivery(region.patient, region.rx_infusion, TODAY)
    auth.login("anna")
    choose(client, region.child)
    assert client.get(f"/portal/orders/{own.id}").status_code == 404


def second_child(region):
    """Alma, a second child of the guardian's (Olle is the first)."""
    from datetime import date

    from sesamlike.patients.links import link_user_to_patients
    from tests.factories import make_patient

    alma = make_patient(region.clinic, first_name="Alma", last_name="Ek",
                        birth_date=date(2019, 4, 2))  # fmt: skip
    link_user_to_patients(region.guardian, [alma.id])
    db.session.commit()
    return alma


def test_an_order_link_switches_a_guardian_to_the_child_it_is_about(
    client, auth, region
):
    """The walkthrough: the order mail about Olle opened while Alma was the
    chosen child answered "Det du letar efter finns inte"."""
    alma = second_child(region)
    olles = make_delivery(region.child, region.rx_child, TODAY)
    auth.login("anna")
    choose(client, alma)
    response = client.get(f"/portal/orders/{olles.id}")
    assert response.status_code == 200
    assert "Du gör ärenden för Olle Ek." in text_of(response)
    assert f"Beställning {olles.id}" in text_of(response)
    chosen = db.session.scalars(
        sa.select(AuditEvent.patient_id).where(
            AuditEvent.user_id == region.guardian.id, AuditEvent.action == "act_for"
        )
    ).all()
    assert chosen == [alma.id, region.child.id]  # the switch is audited
    assert "Du gör ärenden för Olle Ek." in text_of(client.get("/portal/"))


def test_a_prescription_link_switches_a_guardian_to_its_child(client, auth, region):
    """The walkthrough: Stella's prescription opened while Alma was chosen
    answered "Sidan finns inte"; her order's page switched to her."""
    alma = second_child(region)
    auth.login("anna")
    choose(client, alma)
    response = client.get(f"/portal/prescriptions/{region.rx_child.id}")
    assert response.status_code == 200
    assert "Du gör ärenden för Olle Ek." in text_of(response)
    # Another's prescription still is not there, and chooses nobody.
    other = client.get(f"/portal/prescriptions/{region.rx_other.id}")
    assert other.status_code == 404
    assert "Du gör ärenden för Olle Ek." in text_of(client.get("/portal/"))


def test_an_order_link_opened_before_choosing_a_child_acts_for_its_child(
    client, auth, region
):
    second_child(region)
    olles = make_delivery(region.child, region.rx_child, TODAY)
    auth.login("anna")
    response = client.get(f"/portal/orders/{olles.id}")
    assert response.status_code == 200
    assert "Du gör ärenden för Olle Ek." in text_of(response)


def test_an_order_link_does_not_reach_an_order_the_guardian_may_not_act_for(
    client, auth, region
):
    alma = second_child(region)
    others = make_delivery(region.other, region.rx_other, TODAY)
    ellas = make_delivery(region.patient, region.rx_infusion, TODAY)
    sara_rx = make_prescription(region.protected_child, region.infusion)
    saras = make_delivery(region.protected_child, sara_rx, TODAY)
    auth.login("anna")
    choose(client, alma)
    for order in (others, ellas, saras):
        response = client.get(f"/portal/orders/{order.id}")
        assert response.status_code == 404, order.patient_id
        # The same page as for an order that does not exist (but its own path).
        missing = without_csrf_tokens(text_of(client.get("/portal/orders/999999")))
        path = f"/portal/orders/{order.id}?"
        assert without_csrf_tokens(text_of(response)) == missing.replace(
            "/portal/orders/999999?", path
        )
    assert "Du gör ärenden för Alma Ek." in text_of(client.get("/portal/"))
    assert db.session.scalars(
        sa.select(AuditEvent.patient_id).where(
            AuditEvent.user_id == region.guardian.id, AuditEvent.action == "act_for"
        )
    ).all() == [alma.id]


# My aids --------------------------------------------------------------------


def test_my_aids_shows_withdrawals_next_date_runout_devices_and_orders(
    client, auth, region
):
    delivered_on = TODAY - timedelta(days=20)
    make_delivery(region.patient, region.rx_infusion, delivered_on, packs=3)
    region.rx_reservoir.withdrawals_used = 1
    region.rx_reservoir.last_withdrawal_on = TODAY - timedelta(days=10)
    db.session.commit()
    auth.login("ella")

    page = text_of(client.get("/portal/"))

    # Infusion sets: 3 packs of 10 at one every third day last 90 days.
    runout = format_date(delivered_on + timedelta(days=90))
    assert "4 av 4" in page and runout in page
    assert "Kan göras nu" in page
    # Reservoirs: one withdrawal used 10 days ago, lock 60 days.
    opens = format_date(TODAY + timedelta(days=50))
    assert "3 av 4" in page
    assert f"Nästa beställning kan göras från {opens}." in page
    # The pump on loan, its serial number and warranty end.
    assert "NG1234567H" in page and "31 maj 2028" in page
    # The pump prescription is the prescriber's to order.
    assert "beställs av din förskrivare" in page
    # Order history with status and tracking reference.
    assert "Levererad" in page and "PN123456789SE" in page


def test_my_aids_runout_counts_the_last_delivery_day_only(client, auth, region):
    """The page reads the last delivery in its prescriptions' statement: the
    same day and packs as runout.last_deliveries_of (same-day lines add up,
    earlier deliveries and undelivered lines do not count)."""
    from sesamlike.portal.runout import last_deliveries_of

    last = TODAY - timedelta(days=20)
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=60), 5)
    make_delivery(region.patient, region.rx_infusion, last, packs=1)
    make_delivery(region.patient, region.rx_infusion, last, packs=2)
    later = make_delivery(region.patient, region.rx_infusion, TODAY, packs=4)
    for line in later.lines:
        line.status, line.delivered_on = "shipped", None
    db.session.commit()
    assert last_deliveries_of(region.patient.id, [region.rx_infusion.id]) == {
        region.rx_infusion.id: (last, 3)
    }
    auth.login("ella")

    page = text_of(client.get("/portal/"))

    # 3 packs of 10 at one every third day: 90 days from the last delivery day.
    assert format_date(last + timedelta(days=90)) in page
    assert format_date(last + timedelta(days=30)) not in page  # 1 pack: no
    assert format_date(TODAY - timedelta(days=60) + timedelta(days=150)) not in page


def renewed_battery_cap(region, *renewals: int):
    """MiniMed batterilock (1 a pack, 0.0055 a day: 181 days a pack) delivered
    40 days ago on a prescription that expired 36 days ago, renewed once per
    number in `renewals` (the days ago each renewal began; each prescription
    ends the day before its renewal begins)."""
    from decimal import Decimal

    from tests.factories import make_article, make_prescription

    cap = make_article(
        "100301", name="MiniMed batterilock", category="accessory", pack_size=1,
        units_per_day=Decimal("0.0055"),
    )  # fmt: skip
    old = make_prescription(
        region.patient, cap, valid_from=TODAY - timedelta(days=400),
        valid_to=TODAY - timedelta(days=36), withdrawals_used=1,
    )  # fmt: skip
    delivered_on = TODAY - timedelta(days=40)
    make_delivery(region.patient, old, delivered_on)
    chain = [old]
    for valid_from in renewals:
        chain[-1].valid_to = TODAY - timedelta(days=valid_from + 1)
        chain.append(
            make_prescription(
                region.patient,
                cap,
                renewed_from_id=chain[-1].id,
                valid_from=TODAY - timedelta(days=valid_from),
            )  # fmt: skip
        )
    return chain, delivered_on + timedelta(days=181)


def runout_of(page: str, name: str) -> str:
    """What "Räcker ungefär till" says in the row of the article `name`."""
    row = page[page.index(f">{name}</a></h3>") :]
    start = row.index('class="runout">') + len('class="runout">')
    return row[start : row.index("</dd>", start)]


def test_my_aids_runout_counts_the_packs_kept_not_those_returned(client, auth, region):
    """The walkthrough: 2 of 4 packs came back to the aids centre, and the
    card still said the sets lasted as long as the 4 packs would, so the
    reminder would come weeks late. 3 packs of 10 sets last 90 days, 1 pack
    30 days."""
    delivered = make_delivery(region.patient, region.rx_infusion,
                              TODAY - timedelta(days=20), 3)  # fmt: skip
    delivered.lines[0].packs_returned = 2
    delivered.lines[0].packs_restocked = 2
    db.session.commit()
    auth.login("ella")

    page = text_of(client.get("/portal/"))

    assert format_date(TODAY + timedelta(days=10)) in runout_of(page, "Quick-set 9 mm")
    assert "Tar slut om 10 dagar." in page


def test_my_aids_runout_counts_the_delivery_on_the_prescription_renewed(
    client, auth, region
):
    (old, current), runs_out = renewed_battery_cap(region, 35)
    auth.login("ella")

    page = text_of(client.get("/portal/"))

    assert format_date(runs_out) in runout_of(page, "MiniMed batterilock")
    detail = text_of(client.get(f"/portal/prescriptions/{current.id}"))
    assert format_date(runs_out) in detail and "Ingen leverans ännu" not in detail


def test_my_aids_runout_follows_renewals_back_and_a_later_delivery_wins(
    client, auth, region
):
    (old, middle, current), runs_out = renewed_battery_cap(region, 35, 1)
    auth.login("ella")
    assert format_date(runs_out) in runout_of(
        text_of(client.get("/portal/")), "MiniMed batterilock"
    )
    make_delivery(region.patient, current, TODAY, packs=2)
    assert format_date(TODAY + timedelta(days=363)) in runout_of(
        text_of(client.get("/portal/")), "MiniMed batterilock"
    )


def test_my_aids_runout_counts_no_delivery_outside_the_renewals(client, auth, region):
    """Another prescription of the same article (not renewed by this one) and
    the old prescription's renewal of another patient count nothing here."""
    from tests.factories import make_prescription

    (old,), _ = renewed_battery_cap(region)
    current = make_prescription(region.patient, old.article)
    make_prescription(region.child, old.article, renewed_from_id=old.id)
    auth.login("ella")
    page = text_of(client.get("/portal/"))
    assert runout_of(page, "MiniMed batterilock") == "Ingen leverans ännu"
    assert "Ingen leverans ännu" in text_of(
        client.get(f"/portal/prescriptions/{current.id}")
    )


def test_my_aids_read_is_audited(client, auth, region):
    auth.login("ella")
    client.get("/portal/")
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.patient_id == region.patient.id,
            AuditEvent.user_id == region.patient_user.id,
        )
    ).all()
    assert "read_my_aids" in actions


def test_choosing_a_child_is_audited_for_that_child(client, auth, region):
    auth.login("anna")
    client.get("/portal/choose")
    choose(client, region.child)
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.patient_id).where(
            AuditEvent.user_id == region.guardian.id
        )
    ).all()
    assert ("act_for", region.child.id) in rows
    assert ("list_children", region.protected_child.id) in rows


def statements_of(client, path: str, data: dict | None = None) -> list[str]:
    """The SQL statements one GET of `path` sends (a POST of `data`, if given)."""
    statements = []

    def record(_conn, _cursor, statement, *_args, **_kwargs):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        if data is None:
            response = client.get(path)
        else:
            response = client.post(path, data=data)
        assert response.status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return statements


def count_queries(client, path: str) -> int:
    return len(statements_of(client, path))


def test_my_aids_queries_do_not_grow_with_orders_or_devices(client, auth, region):
    auth.login("ella")
    make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days=5))
    few = count_queries(client, "/portal/")
    for days in range(6, 18):
        make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days))
        make_delivery(region.patient, region.rx_reservoir, TODAY - timedelta(days))
    many = count_queries(client, "/portal/")
    assert many == few, (few, many)
    # user (a patient's clinics are not asked for), the patient (once: the access
    # check reads the row acting_patient_id loaded), prescriptions, deliveries,
    # devices, orders with their lines, the caring clinics (whom "Kontakta
    # mottagningen" means), the audit row: nothing loaded twice
    assert many <= 8, many


def test_a_guardians_my_aids_reads_the_child_once(client, auth, region):
    auth.login("anna")
    choose(client, region.child)
    statements = count_queries(client, "/portal/")
    # user, the child (the access rules asked again: the same read serves the
    # page), prescriptions, deliveries, devices, orders with lines, the child's
    # caring clinics, the audit row
    assert statements <= 8, statements


def test_a_patients_page_asks_for_no_clinic_and_its_audit_rows_name_none(
    client, auth, region
):
    # A patient login linked to a clinic by mistake still acts for no clinic.
    region.patient_user.clinics = [region.clinic]
    db.session.commit()
    auth.login("ella")
    statements = statements_of(client, "/portal/")
    assert not [s for s in statements if "user_clinics" in s], statements
    codes = db.session.scalars(
        sa.select(AuditEvent.clinic_code).where(
            AuditEvent.user_id == region.patient_user.id,
            AuditEvent.action == "read_my_aids",
        )
    ).all()
    assert codes == [None]


def test_all_orders_page_lists_every_order(client, auth, region):
    for days in range(12):
        make_delivery(region.patient, region.rx_infusion, TODAY - timedelta(days))
    auth.login("ella")
    assert "Visa alla beställningar" in text_of(client.get("/portal/"))
    page = text_of(client.get("/portal/orders"))
    assert page.count("Beställning ") >= 12


def test_portal_speaks_english_when_switched(client, auth, region):
    auth.login("ella")
    client.post("/language", data={"locale": "en"})
    page = text_of(client.get("/portal/"))
    assert "My aids" in page and "Prescriptions" in page
    assert "Devices on loan" in page and "Serial number" in page


@pytest.mark.parametrize(
    "locale, babel_locale, one, three",
    [
        (
            "sv",
            "sv_SE",
            "Du kan beställa 1 förpackning åt",
            "beställa 3 förpackningar åt",
        ),
        ("en", "en_GB", "You can order 1 pack at a time", "You can order 3 packs at"),
    ],
)
def test_one_pack_reads_singular_and_three_plural_with_the_date_in_words(
    client, auth, region, locale, babel_locale, one, three
):
    region.rx_reservoir.packs_per_withdrawal = 1
    db.session.commit()
    auth.login("ella")
    client.post("/language", data={"locale": locale})
    single = text_of(client.get(f"/portal/prescriptions/{region.rx_reservoir.id}"))
    several = text_of(client.get(f"/portal/prescriptions/{region.rx_infusion.id}"))
    assert one in single and "1 förpackningar" not in single
    assert three in several
    # "Valid until" as the language writes a date: 2 mars 2026 / 2 March 2026.
    assert (
        babel_date(region.rx_infusion.valid_to, "long", locale=babel_locale) in several
    )


@pytest.mark.parametrize(
    "locale, one, three",
    [("sv", "1 förp. ", "3 förp. "), ("en", "1 pack ", "3 packs ")],
)
def test_an_order_of_one_pack_reads_singular_and_of_three_plural(
    client, auth, region, locale, one, three
):
    single = make_delivery(region.patient, region.rx_infusion, TODAY, packs=1)
    several = make_delivery(region.patient, region.rx_reservoir, TODAY, packs=3)
    auth.login("ella")
    client.post("/language", data={"locale": locale})
    single_page = text_of(client.get(f"/portal/orders/{single.id}"))
    several_page = text_of(client.get(f"/portal/orders/{several.id}"))
    assert one in single_page and "1 packs" not in single_page
    assert three in several_page


def test_a_guardian_is_not_spoken_to_as_the_patient(client, auth, region):
    """ "Tillbaka till mina hjälpmedel" and "Du har inga giltiga förskrivningar"
    were the patient's words on the child's pages."""
    region.rx_child.status = "cancelled"
    db.session.commit()
    auth.login("anna")
    choose(client, region.child)
    aids = text_of(client.get("/portal/"))
    assert "Olle har inga giltiga förskrivningar. Kontakta barnets mottagning." in aids
    assert "Du har inga giltiga förskrivningar" not in aids
    for path in ("/portal/orders", "/portal/order"):
        page = text_of(client.get(path))
        assert "Tillbaka till hjälpmedlen för Olle" in page, path
        assert "Tillbaka till mina hjälpmedel" not in page, path


def test_the_patient_keeps_their_own_words(client, auth, region):
    auth.login("ella")
    assert "Tillbaka till mina hjälpmedel" in text_of(client.get("/portal/orders"))


def test_a_guardian_is_told_of_the_childs_refusals_not_their_own(client, auth, region):
    """A used-up or expired prescription, or a pump, read "Du har gjort alla
    beställningar … om du behöver en ny" and "beställs av din förskrivare" to
    the guardian too: the child's prescriber and clinic, in the child's name."""
    rx = region.rx_child
    rx.withdrawals_used = rx.withdrawals
    db.session.commit()
    auth.login("anna")
    choose(client, region.child)
    for page in (
        text_of(client.get("/portal/")),
        text_of(client.get(f"/portal/prescriptions/{rx.id}")),
    ):
        assert (
            "Alla beställningar som förskrivningen räcker till är gjorda. Kontakta "
            "barnets mottagning om Olle behöver en ny förskrivning." in page
        )
        assert "Du har gjort alla beställningar" not in page
        assert "om du behöver" not in page
    rx.withdrawals_used = 0
    rx.valid_to = TODAY - timedelta(days=1)
    db.session.commit()
    page = text_of(client.get(f"/portal/prescriptions/{rx.id}"))
    assert "Kontakta barnets mottagning om Olle behöver en ny." in page
    assert "om du behöver" not in page


def test_a_guardian_is_told_the_childs_pump_is_ordered_by_the_childs_prescriber(
    client, auth, region
):
    from tests.factories import make_prescription

    make_prescription(region.child, region.rx_pump.article, withdrawals=1)
    db.session.commit()
    auth.login("anna")
    choose(client, region.child)
    page = text_of(client.get("/portal/"))
    assert (
        f"{region.rx_pump.article.name} är ett hjälpmedel som lånas ut och beställs "
        "av barnets förskrivare. Kontakta barnets mottagning om Olle behöver en ny."
        in page
    )
    assert "din förskrivare" not in page


def test_the_patient_is_still_told_of_their_own_refusals(client, auth, region):
    region.rx_infusion.withdrawals_used = region.rx_infusion.withdrawals
    db.session.commit()
    auth.login("ella")
    page = text_of(client.get("/portal/"))
    assert "Du har gjort alla beställningar som förskrivningen räcker till." in page
    assert "beställs av din förskrivare" in page  # her pump


def test_a_lent_pump_in_the_order_lists_is_counted_in_pieces_not_packs(
    client, auth, region
):
    """The walkthrough: "1 förp. MiniMed 640G insulinpump" on "Mina hjälpmedel"
    and the order's page; a pump is one pump, not a pack."""
    from tests.factories import make_order

    order = make_order(
        region.patient,
        [
            (region.rx_pump, 1, "delivered", TODAY),
            (region.rx_infusion, 3, "delivered", TODAY),
        ],
        delivery_mode="clinic",
    )
    pump = region.rx_pump.article.name
    auth.login("ella")
    for path in ("/portal/", f"/portal/orders/{order.id}", "/portal/orders"):
        page = " ".join(re.sub(r"<[^>]+>", " ", text_of(client.get(path))).split())
        assert f"1 st {pump}" in page, path
        assert f"förp. {pump}" not in page, path
        assert "3 förp. Quick-set 9 mm" in page, path


def test_a_first_order_on_its_way_is_said_not_no_delivery_yet(client, auth, region):
    """The walkthrough: a card said "Ingen leverans ännu" while its first
    order had shipped; the card now says an order is on its way."""
    shipped = make_delivery(region.patient, region.rx_infusion, TODAY, packs=1)
    for line in shipped.lines:
        line.status, line.delivered_on = "shipped", None
    db.session.commit()
    auth.login("ella")
    page = text_of(client.get("/portal/"))
    name = region.rx_infusion.article.name
    assert runout_of(page, name) == "Beställd, inte levererad än."


def test_a_guardian_of_one_child_acts_for_it_without_choosing(client, auth, region):
    """The walkthrough: vh001, with one child, had to tap "Välj" at every
    login before any page. The only child is chosen at once, audited as the
    button's choice is; with two children, or a protected one, the choosing
    page stays."""
    from tests.factories import make_user

    make_user("guardian", patients=[region.child], username="per")
    auth.login("per")
    page = client.get("/portal/")
    assert page.status_code == 200 and "Olle" in page.text
    chosen = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.patient_id == region.child.id)
    ).all()
    assert "act_for" in chosen
    auth.logout()
    auth.login("per")  # "Mina barn" on the start page: nobody to choose between
    assert client.get("/portal/choose").headers["Location"] == "/portal/"
    auth.logout()

    auth.login("anna")  # Olle, and Sara with protected identity
    assert client.get("/portal/").headers["Location"].startswith("/portal/choose")
    auth.logout()
    make_user("guardian", patients=[region.protected_child], username="eva")
    auth.login("eva")
    choosing = client.get("/portal/", follow_redirects=True).text
    assert "skyddade personuppgifter" in choosing


def test_looking_for_an_only_child_writes_no_audit_row(client, auth, region):
    """The review of this stop's diff: the only-child check listed a
    guardian's children through the audited list, so one visit of "my aids"
    that led to the choosing page wrote each child's "listed" row three
    times, in the child's own access log, beside a query and a commit each."""
    auth.login("anna")  # Olle, and Sara with protected identity: to choose

    def listed() -> int:
        return db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.patient_id == region.child.id,
                AuditEvent.action == "list_children",
            )
        )

    before = listed()
    client.get("/portal/", follow_redirects=True)
    assert listed() - before == 1
    client.get("/portal/choose")
    assert listed() - before == 2


def test_a_guardian_of_one_child_is_offered_no_list_of_one(client, auth, region):
    """The walkthrough: vh001, with one child, had "Byt barn" on every page,
    and it led to a list of one child, also once the child was chosen (a
    mail's link chose it). No "Byt barn"; "Mina barn" leads to the child's
    page. A guardian of two keeps both."""
    from tests.factories import make_user

    make_user("guardian", patients=[region.child], username="per")
    auth.login("per")
    assert "Byt barn" not in text_of(client.get("/portal/"))
    assert "Byt barn" not in text_of(client.get("/portal/orders"))
    assert client.get("/portal/choose").headers["Location"] == "/portal/"
    auth.logout()
    with client.session_transaction() as session:
        session.clear()  # as a mail's link finds it: no child chosen yet
    auth.login("per")
    client.get(f"/portal/prescriptions/{region.rx_child.id}")
    assert "Byt barn" not in text_of(client.get("/portal/"))
    assert client.get("/portal/choose").headers["Location"] == "/portal/"
    auth.logout()

    from tests.factories import make_patient

    second = make_patient(region.clinic, first_name="Lisa", last_name="Ek",
                          birth_date=date(2016, 1, 2))  # fmt: skip
    make_user("guardian", patients=[region.child, second], username="tove")
    auth.login("tove")
    choose(client, region.child)
    assert "Byt barn" in text_of(client.get("/portal/"))
    assert "Lisa" in text_of(client.get("/portal/choose"))


def test_byt_barn_follows_the_guardians_links_on_the_next_page(client, auth, region):
    """A second child linked while the guardian of one is logged in: "Byt
    barn" shows on the next page, not only once "Mina barn" was visited; the
    link ended, it goes again. The whole "my aids" page kept for the session
    follows too."""
    from sesamlike.patients.links import link_user_to_patients
    from sesamlike.patients.models import Guardian
    from tests.factories import make_patient, make_user

    per = make_user("guardian", patients=[region.child], username="per")
    auth.login("per")
    for path in ("/portal/", "/portal/orders"):
        assert "Byt barn" not in text_of(client.get(path)), path
    second = make_patient(region.clinic, first_name="Lisa", last_name="Ek",
                          birth_date=date(2016, 1, 2))  # fmt: skip
    link_user_to_patients(per, [second.id])
    db.session.commit()

    for path in ("/portal/", "/portal/orders", "/portal/order"):
        assert "Byt barn" in text_of(client.get(path)), path

    db.session.execute(
        sa.delete(Guardian).where(
            Guardian.user_id == per.id, Guardian.patient_id == second.id
        )
    )
    db.session.commit()
    for path in ("/portal/", "/portal/orders"):
        assert "Byt barn" not in text_of(client.get(path)), path
