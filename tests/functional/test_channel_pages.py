"""Aids centre pages and commands for the supplier and pharmacy channels."""

from __future__ import annotations

import csv
import html
import io
from datetime import date

import pytest
import sqlalchemy as sa

from sesamlike.channels.models import PharmacyPrescription, SupplierExport
from sesamlike.channels.pharmacy import issue_pharmacy_prescriptions
from sesamlike.channels.supplier import export_supplier_orders
from sesamlike.extensions import db
from sesamlike.orders.models import OrderLine
from sesamlike.stock import replenishment
from sesamlike.stock.models import PurchaseProposal
from tests.channel_world import ORDER_DAY, World
from tests.factories import (
    make_article,
    make_depot,
    make_patient,
    make_role_user,
    make_stock_lot,
)

PAGES = (
    "/channels/",
    "/channels/suppliers",
    "/channels/pharmacy",
    "/channels/proposals",
    "/channels/reorder-points",
)
POSTS = (
    "/channels/suppliers/export",
    "/channels/suppliers/status",
    "/channels/pharmacy/issue",
    "/channels/pharmacy/dispensing",
    "/channels/proposals/check",
    "/channels/reorder-points",
)


@pytest.fixture
def world():
    return World()


@pytest.fixture
def depot(world, auth):
    auth.login(world.depot_user.username)
    return world


def line_ids() -> list[int]:
    return list(db.session.scalars(sa.select(OrderLine.id).order_by(OrderLine.id)))


def upload(client, url, text, name="file.csv"):
    data = {"file": (io.BytesIO(text.encode()), name)}
    return client.post(url, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize(
    "role", ["prescriber", "patient", "manager", "region", "admin"]
)
@pytest.mark.parametrize("url", PAGES + POSTS)
def test_only_depot_staff_reach_the_channel_pages(client, auth, role, url):
    auth.login(make_role_user(role).username)
    response = (
        client.post(url) if url in POSTS and url not in PAGES else client.get(url)
    )
    assert response.status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", PAGES)
def test_depot_staff_see_every_page(client, depot, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "Kanaler och påfyllning" in response.text or "<h1>" in response.text


def test_depot_staff_create_and_download_the_days_supplier_files(client, depot):
    depot.order(depot.pump)
    response = client.post(
        "/channels/suppliers/export",
        data={"day": ORDER_DAY.isoformat()},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "orders-2026-03-02-insulet-ab.csv" in response.text
    export = db.session.scalars(sa.select(SupplierExport)).one()

    download = client.get(f"/channels/suppliers/exports/{export.id}.csv")

    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "orders-2026-03-02-insulet-ab.csv" in download.headers["Content-Disposition"]
    assert download.text == export.content
    assert "Anna Andersson" in download.text
    assert client.get("/channels/suppliers/exports/999.csv").status_code == 404


def test_a_file_downloaded_after_the_patient_got_protected_identity_hides_the_home(
    client, depot
):
    depot.order(depot.pump)
    export = export_supplier_orders(ORDER_DAY)[0]
    sent = export.content
    [_, home] = list(csv.reader(io.StringIO(sent)))
    depot.patient.protected_identity = True
    db.session.commit()

    text = client.get(f"/channels/suppliers/exports/{export.id}.csv").text

    [header, row] = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["delivery_mode"] == "clinic"
    assert cells["ship_to_name"] == "Diabetesmottagningen Östra"
    assert cells["ship_to_street"] == "Östra vägen 1"
    assert cells["ship_to_door_code"] == cells["contact_phone"] == ""
    assert "Anna Andersson" in sent and "0701234567" in sent
    assert "Anna Andersson" not in text and "0701234567" not in text
    assert home[10] and home[10] not in text  # the home street
    assert cells["article_no"] == "PUMP-1" and cells["packs"] == "1"
    db.session.expire_all()
    assert db.session.get(SupplierExport, export.id).content == sent  # the record


@pytest.mark.parametrize("finished", ["delivered", "cancelled"])
def test_a_file_downloaded_after_its_line_arrived_names_no_one(client, depot, finished):
    """The second security review: any supplier file, years old, still gave the
    aids centre the patient's name, street and phone, which it never sees of
    an order only a supplier delivers. The file is handed out again for the
    supplier's sake: a line on its way keeps its ship-to, a finished one not."""
    depot.order(depot.pump)
    export = export_supplier_orders(ORDER_DAY)[0]
    sent = export.content
    before = client.get(f"/channels/suppliers/exports/{export.id}.csv").text
    assert before == sent and "Anna Andersson" in before  # on its way
    line = db.session.get(OrderLine, line_ids()[0])
    line.status = finished
    if finished == "delivered":
        line.delivered_on = ORDER_DAY
    db.session.commit()

    text = client.get(f"/channels/suppliers/exports/{export.id}.csv").text

    [header, row] = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["delivery_mode"] == "home"
    for column in ("ship_to_name", "ship_to_street", "ship_to_postal_code",
                   "ship_to_city", "ship_to_door_code", "contact_phone"):  # fmt: skip
        assert cells[column] == "", column
    assert "Anna Andersson" not in text and "0701234567" not in text
    assert cells["article_no"] == "PUMP-1" and cells["packs"] == "1"
    db.session.expire_all()
    assert db.session.get(SupplierExport, export.id).content == sent  # the record


def test_a_future_day_is_refused_on_the_page(client, depot):
    response = client.post("/channels/suppliers/export", data={"day": "2999-01-01"})
    assert response.status_code == 200
    assert "datum i framtiden" in response.text
    assert db.session.scalar(sa.select(sa.func.count(SupplierExport.id))) == 0


def test_a_bad_status_file_shows_every_problem_with_its_line(client, depot):
    depot.order(depot.pump)
    export_supplier_orders(ORDER_DAY)
    [line_id] = line_ids()
    text = "line_id,status,tracking_ref,delivered_on\n"
    text += f"{line_id},lost,,\n{line_id},shipped,,\n"

    response = upload(client, "/channels/suppliers/status", text)

    assert response.status_code == 422
    assert "rad 2" in response.text and "Okänd status «lost»" in response.text
    assert "rad 3" in response.text
    assert db.session.get(OrderLine, line_id).status == "sent_to_supplier"


def test_a_status_file_in_windows_1252_names_the_line_to_mend(client, depot):
    depot.order(depot.pump)
    export_supplier_orders(ORDER_DAY)
    [line_id] = line_ids()
    text = "line_id,status,tracking_ref,delivered_on\n"
    text += f"{line_id},shipped,Kolli-Å,\n"
    data = {"file": (io.BytesIO(text.encode("cp1252")), "status.csv")}

    response = client.post(
        "/channels/suppliers/status", data=data, content_type="multipart/form-data"
    )

    assert response.status_code == 422
    page = html.unescape(response.text)
    assert "rad 2" in page and "inte UTF-8: tecknet «Å» går inte att läsa" in page
    assert "«CSV UTF-8 (kommaavgränsad)»" in page
    assert db.session.get(OrderLine, line_id).status == "sent_to_supplier"


def test_a_file_over_the_request_limit_says_how_large_a_file_may_be(client, depot):
    """A status file of 1-5 MB (some 20,000 rows or more) got "Filen är för
    stor. Försök igen. Om felet kvarstår, kontakta supporten.": trying again
    cannot help, and the page did not say what size is taken."""
    text = "line_id,status,tracking_ref,delivered_on\n" + "1,confirmed,,\n" * 100_000

    response = upload(client, "/channels/suppliers/status", text)

    assert response.status_code == 413
    page = html.unescape(response.text)
    assert "Försök igen" not in page
    assert (
        "Högst 1 MB tas emot åt gången; inget av det du skickade sparades. Dela "
        "upp filen i mindre filer och läs in dem en i taget."
    ) in page


def test_a_form_over_the_request_limit_does_not_speak_of_a_file(client):
    """A text pasted into a form (here the login's password field) past the
    limit was answered "Filen är för stor ... Dela upp filen i mindre filer",
    though nothing was a file."""
    response = client.post(
        "/login", data={"username": "someone", "password": "x" * 1_100_000}
    )

    assert response.status_code == 413
    page = html.unescape(response.text)
    assert "Filen" not in page and "filen" not in page
    assert "<h1>Det du skickade är för stort</h1>" in page
    assert (
        "Högst 1 MB tas emot åt gången; inget av det du skickade sparades. "
        "Korta texten och skicka igen."
    ) in page


def test_the_status_file_hint_names_the_optional_serial_number_column(client, depot):
    """The walkthrough: the hint named line_id, status, tracking_ref and
    delivered_on, not serial_no: the only way to register a pump or reader
    the supplier delivers."""
    page = client.get("/channels/suppliers").get_data(as_text=True)
    hint = page.split("Kolumner: line_id")[1].split("</p>")[0]
    assert "serial_no" in hint
    assert "individmärkt pump eller avläsare" in hint


def test_a_good_status_file_updates_the_lines(client, depot):
    depot.order(depot.pump)
    export_supplier_orders(ORDER_DAY)
    [line_id] = line_ids()
    text = f"line_id,status,tracking_ref,delivered_on\n{line_id},shipped,PN1,\n"

    response = upload(client, "/channels/suppliers/status", text)

    assert response.status_code == 302
    assert db.session.get(OrderLine, line_id).status == "shipped"


def test_dispensings_are_uploaded_on_the_pharmacy_page(client, depot):
    depot.order(depot.pods, 2)
    assert client.post("/channels/pharmacy/issue").status_code == 302
    rx = db.session.scalars(sa.select(PharmacyPrescription)).one()
    assert f'<th scope="row">{rx.id}</th>' in client.get("/channels/pharmacy").text
    header = "pharmacy_prescription_id,dispensing_ref,pharmacy_id,pharmacy_name,"
    header += "dispensed_on,packs\n"

    bad = upload(client, "/channels/pharmacy/dispensing", header + f"{rx.id},,,,x,0\n")
    good = upload(
        client,
        "/channels/pharmacy/dispensing",
        header + f"{rx.id},D1,7350045,Apoteket Nordstan,2026-03-03,2\n",
    )

    assert bad.status_code == 422 and "rad 2" in bad.text
    assert good.status_code == 302
    said = client.get("/channels/pharmacy").text
    assert "1 expediering (" in said and "1 expedieringar" not in said
    assert db.session.get(OrderLine, rx.order_line_id).status == "delivered"


def test_the_pharmacy_page_says_how_many_lines_wait_for_an_e_recept(client, depot):
    """The clerk saw the button "Skapa e-recept för nya apoteksrader" and no
    word of whether any line waited for one."""
    depot.order(depot.pods, 2)
    depot.order(depot.pods, 1)
    page = client.get("/channels/pharmacy").text
    assert "2 apoteksrader väntar på e-recept." in page
    # The overview says so too (the walkthrough: it said "Öppna e-recept: 0").
    overview = client.get("/channels/").text
    assert "2 apoteksrader väntar på e-recept." in overview
    assert "Öppna e-recept: 0" in overview
    assert client.post("/channels/pharmacy/issue").status_code == 302
    page = client.get("/channels/pharmacy").text
    assert "Inga apoteksrader väntar på e-recept." in page
    assert "Öppna e-recept (2)" in page
    overview = client.get("/channels/").text
    assert "Inga apoteksrader väntar på e-recept." in overview
    assert "Öppna e-recept: 2" in overview


def test_open_e_recepts_are_counted_past_the_rows_shown(client, depot, monkeypatch):
    """The overview counted the rows the pharmacy table shows (at most 200),
    so a region with 5,000 open e-recepts read "Öppna e-recept: 200"."""
    from sesamlike.channels import pharmacy

    monkeypatch.setattr(pharmacy, "SHOWN_OPEN", 2)
    for _ in range(3):
        depot.order(depot.pods, 1)
    issue_pharmacy_prescriptions(depot.depot_user)
    assert "Öppna e-recept: 3" in client.get("/channels/").text
    page = client.get("/channels/pharmacy").text
    assert "Öppna e-recept (3)" in page
    assert "Visar de 2 äldsta av 3 öppna e-recepten." in page
    assert page.count('<th scope="row">') == 2


def test_an_upload_without_a_file_is_refused(client, depot):
    response = client.post("/channels/pharmacy/dispensing", data={})
    assert response.status_code == 422
    assert "Välj en fil." in response.text


def test_proposals_are_listed_by_supplier_and_marked_ordered(client, depot):
    hmc = make_depot("HMC")
    make_stock_lot(depot.pump, hmc, on_hand=1)
    replenishment.set_reorder_point(None, "HMC", "PUMP-1", 2, 10)
    client.post("/channels/proposals/check")
    proposal = db.session.scalars(sa.select(PurchaseProposal)).one()

    page = client.get("/channels/proposals")
    assert "<h2>Insulet AB</h2>" in page.text
    client.post(f"/channels/proposals/{proposal.id}/ordered")

    db.session.refresh(proposal)
    assert proposal.status == "ordered"
    assert proposal.decided_by_id == depot.depot_user.id


def test_reorder_points_are_added_on_their_page(client, depot):
    make_depot("HMC", name="Hjälpmedelscentralen")
    ok = client.post(
        "/channels/reorder-points",
        data={
            "depot_code": "HMC",
            "article_no": "PUMP-1",
            "reorder_level": "2",
            "order_up_to": "10",
        },
    )
    bad = client.post(
        "/channels/reorder-points",
        data={
            "depot_code": "HMC",
            "article_no": "NOPE",
            "reorder_level": "5",
            "order_up_to": "3",
        },
    )

    assert ok.status_code == 302
    assert bad.status_code == 422
    assert "Okänt artikelnummer." in bad.text
    assert "Ska vara större än beställningspunkten." in bad.text
    [point] = replenishment.reorder_points()
    assert (point.reorder_level, point.order_up_to) == (2, 10)


def test_uploads_need_the_csrf_token(client, depot, csrf_on):
    response = upload(client, "/channels/suppliers/status", "line_id\n")
    assert response.status_code == 400


# Commands ----------------------------------------------------------------------


def test_suppliers_export_writes_one_file_per_supplier_and_the_same_again(
    runner, world, tmp_path
):
    world.order(world.pump)
    world.order(world.cgm)
    args = ["suppliers", "export", "--date", "2026-03-02", "--out", str(tmp_path)]

    first = runner.invoke(args=args)
    texts = {p.name: p.read_text() for p in tmp_path.iterdir()}
    second = runner.invoke(args=args)

    assert first.exit_code == 0, first.output
    assert sorted(texts) == [
        "orders-2026-03-02-dexcom-nordic-ab.csv",
        "orders-2026-03-02-insulet-ab.csv",
    ]
    assert second.exit_code == 0
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == texts


def test_suppliers_import_status_reports_bad_rows_and_exits_1(runner, world, tmp_path):
    world.order(world.pump)
    export_supplier_orders(ORDER_DAY)
    [line_id] = line_ids()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"line_id,status,tracking_ref,delivered_on\n{line_id},sent,,\n")
    good = tmp_path / "good.csv"
    good.write_text(
        f"line_id,status,tracking_ref,delivered_on\n{line_id},delivered,,2026-03-04\n"
    )

    refused = runner.invoke(args=["suppliers", "import-status", str(bad)])
    imported = runner.invoke(args=["suppliers", "import-status", str(good)])

    assert refused.exit_code == 1
    assert "rad 2: status: Okänd status «sent»" in refused.output
    assert imported.exit_code == 0, imported.output
    assert "1 delivered" in imported.output
    line = db.session.get(OrderLine, line_id)
    db.session.refresh(line)
    assert line.delivered_on == date(2026, 3, 4)


def test_a_nul_in_a_status_or_dispensing_file_is_told_on_postgresql_too(
    runner, world, tmp_path
):
    """The importers looked a file's serial numbers and dispensing references
    up before checking its rows: PostgreSQL refused the NUL with a traceback."""
    world.order(world.pump)
    world.order(world.pods, 1)
    export_supplier_orders(ORDER_DAY)
    issue_pharmacy_prescriptions()
    supplier_line = db.session.scalar(
        sa.select(OrderLine.id).where(OrderLine.channel == "supplier")
    )
    rx = db.session.scalars(sa.select(PharmacyPrescription)).one()
    status = tmp_path / "status.csv"
    status.write_text(
        "line_id,status,tracking_ref,delivered_on,serial_no\n"
        f"{supplier_line},delivered,,2026-03-04,PX\x00-1\n"
    )
    dispensing = tmp_path / "dispensing.csv"
    dispensing.write_text(
        "pharmacy_prescription_id,dispensing_ref,pharmacy_id,pharmacy_name,"
        f"dispensed_on,packs\n{rx.id},D\x001,7350045,Apoteket Nordstan,2026-03-03,1\n"
    )

    refused = [
        runner.invoke(args=["suppliers", "import-status", str(status)]),
        runner.invoke(args=["pharmacy", "import-dispensing", str(dispensing)]),
    ]

    control = "Får inte innehålla styrtecken (osynliga tecken som NUL)."
    assert [r.exit_code for r in refused] == [1, 1]
    assert f"rad 2: serial_no: {control}" in refused[0].output
    assert f"rad 2: dispensing_ref: {control}" in refused[1].output
    statuses = db.session.scalars(sa.select(OrderLine.status).order_by(OrderLine.id))
    assert sorted(statuses) == ["sent_to_pharmacy", "sent_to_supplier"]


def test_pharmacy_import_dispensing_from_the_command_line(runner, world, tmp_path):
    world.order(world.pods, 1)
    issue_pharmacy_prescriptions()
    rx = db.session.scalars(sa.select(PharmacyPrescription)).one()
    file = tmp_path / "dispensing.csv"
    file.write_text(
        "pharmacy_prescription_id,dispensing_ref,pharmacy_id,pharmacy_name,"
        f"dispensed_on,packs\n{rx.id},D1,7350045,Apoteket Nordstan,2026-03-03,1\n"
    )
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("pharmacy_name\nApoteket Kronan Göteborg\n".encode("latin-1"))

    result = runner.invoke(args=["pharmacy", "import-dispensing", str(file)])
    undecodable = runner.invoke(args=["pharmacy", "import-dispensing", str(latin1)])

    assert result.exit_code == 0, result.output
    assert "1 dispensings" in result.output
    assert undecodable.exit_code == 1
    assert "inte UTF-8" in undecodable.output


def test_the_overview_shows_an_expired_lot_before_the_nightly_check_flags_it(
    client, depot
):
    """ "Inga partier går ut inom 60 dagar" while a lot that expired last month
    still held 12 packs to scrap: the list showed only lots the 05:00 job had
    flagged, and the job had not run since the goods came in."""
    from datetime import timedelta

    from sesamlike.common.time import region_today

    today = region_today()
    hmc = make_depot("HMC")
    make_stock_lot(depot.pods, hmc, on_hand=12, lot="MI2411B",
                   expiry=today - timedelta(20))  # fmt: skip
    make_stock_lot(depot.pods, hmc, on_hand=5, lot="SOON1",
                   expiry=today + timedelta(30))  # fmt: skip
    make_stock_lot(depot.pods, hmc, on_hand=5, lot="LATER1",
                   expiry=today + timedelta(90))  # fmt: skip
    page = client.get("/channels/").text
    assert "Inga partier" not in page
    rows = page.split("<tr>")
    (expired,) = [row for row in rows if "MI2411B" in row]
    (soon,) = [row for row in rows if "SOON1" in row]
    assert "Utgånget, kassera" in expired
    assert "Går snart ut" in soon
    assert "LATER1" not in page


def test_a_pharmacy_article_gets_no_reorder_point_on_its_page(client, depot):
    make_depot("HMC", name="Hjälpmedelscentralen")
    make_article("400101", channel="pharmacy", category="cgm_sensor")
    response = client.post(
        "/channels/reorder-points",
        data={
            "depot_code": "HMC",
            "article_no": "400101",
            "reorder_level": "5",
            "order_up_to": "40",
        },
    )
    assert response.status_code == 422
    error = response.text.split('id="article_no-error">')[1].split("</p>")[0]
    assert "Artikeln lämnas ut via apotek" in error
    assert "Beställningspunkten är sparad." not in response.text
    assert replenishment.reorder_points() == []


def test_a_second_export_the_same_day_says_the_new_line_waits_for_the_next_file(
    client, depot
):
    """The walkthrough: two more supplier lines came in after the morning's
    files; "Skapa filer" answered "3 leverantörsfiler för 5 december 2026."
    though it wrote nothing and the lines stayed waiting."""
    depot.order(depot.pump)
    first = client.post(
        "/channels/suppliers/export",
        data={"day": ORDER_DAY.isoformat()},
        follow_redirects=True,
    )
    assert "1 leverantörsfil för 2 mars 2026." in first.text
    depot.order(depot.pump, patient=make_patient(depot.clinic))

    again = client.post(
        "/channels/suppliers/export",
        data={"day": ORDER_DAY.isoformat()},
        follow_redirects=True,
    )

    assert "1 leverantörsfil för" not in again.text
    assert "Inga nya leverantörsfiler" in again.text
    assert "1 rad väntar till nästa dags fil" in again.text
    assert db.session.scalar(sa.select(sa.func.count(SupplierExport.id))) == 1
