"""Patient use cases: registration, search, contact, addresses, guardians, care."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import AuditEvent
from sesamlike.common.errors import Conflict, Forbidden, Invalid, NotVisible
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.patients import services
from sesamlike.patients.identity import synthetic_personnummer
from sesamlike.patients.models import Address, CareRelationship, Guardian, Patient
from sesamlike.patients.search import PAGE_SIZE
from tests.factories import (
    ADULT_PNR,
    CHILD_PNR,
    COORDINATION_NO,
    make_clinic,
    make_patient,
    make_user,
    patient_registration,
)

TODAY = region_today()


@pytest.fixture
def own():
    return make_clinic("OWN", name="Diabetesmottagningen Öster")


@pytest.fixture
def prescriber(own):
    return make_user("prescriber", clinics=[own])


def registration(**overrides) -> dict:
    contact = {
        "door_code": "1234",
        "phone": "070-123 45 67",
        "email": "anna@example.se",
    }
    return patient_registration(postal_code="411 01", **contact) | overrides


def row_counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Patient, Address, CareRelationship, Guardian, AuditEvent)
    )


def refused(error_type, call, *args):
    """Call a service that must refuse, then roll back as the pages and API do."""
    with pytest.raises(error_type) as caught:
        call(*args)
    db.session.rollback()
    return caught.value


def audit_rows():
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()


# Registration ----------------------------------------------------------------


def test_prescriber_registers_a_patient_with_personnummer_at_own_clinic(
    prescriber, own
):
    patient = services.register_patient(prescriber, registration())
    db.session.expire_all()
    assert patient.personal_id == ADULT_PNR
    assert patient.id_kind == "personnummer"
    assert patient.birth_date == date(1990, 1, 2)
    home = patient.home_address()
    assert (home.street, home.postal_code, home.door_code) == (
        "Storgatan 1",
        "41101",
        "1234",
    )
    assert [(c.clinic_id, c.started_on) for c in patient.care_relationships] == [
        (own.id, TODAY)
    ]
    assert (patient.phone, patient.email) == ("070-123 45 67", "anna@example.se")
    assert [(e.action, e.patient_id, e.user_id) for e in audit_rows()] == [
        ("create", patient.id, prescriber.id)
    ]


def test_samordningsnummer_is_registered_with_its_real_birth_date(prescriber):
    patient = services.register_patient(
        prescriber, registration(personal_id=COORDINATION_NO)
    )
    assert patient.id_kind == "samordningsnummer"
    assert patient.birth_date == date(1985, 3, 3)


def test_reserve_number_is_registered_with_lma_card_and_birth_date(prescriber):
    valid_to = TODAY + timedelta(days=200)
    patient = services.register_patient(
        prescriber,
        registration(
            id_kind="reserve",
            personal_id="lma-4711",
            lma_number="12-345678",
            lma_valid_to=valid_to,
            birth_date=date(2001, 5, 6),
        ),
    )
    assert (patient.personal_id, patient.id_kind) == ("LMA-4711", "reserve")
    assert (patient.lma_number, patient.lma_valid_to) == ("12-345678", valid_to)
    assert patient.birth_date == date(2001, 5, 6)


def test_reserve_number_needs_lma_number_validity_and_birth_date(prescriber):
    error = refused(
        Invalid,
        services.register_patient,
        prescriber,
        registration(id_kind="reserve", personal_id="R12345"),
    )
    assert set(error.fields) == {"lma_number", "lma_valid_to", "birth_date"}
    assert row_counts() == (0, 0, 0, 0, 0)


def test_expired_lma_card_is_refused(prescriber):
    error = refused(
        Invalid,
        services.register_patient,
        prescriber,
        registration(
            id_kind="reserve",
            personal_id="R12345",
            lma_number="12-345678",
            lma_valid_to=TODAY - timedelta(days=1),
            birth_date=date(2001, 5, 6),
        ),
    )
    assert error.fields == {"lma_valid_to": ["LMA-kortets giltighetstid har gått ut."]}


@pytest.mark.parametrize("bad", ["199001029802", "19901302-9801", "abc", ""])
def test_invalid_personnummer_is_refused_and_nothing_is_written(prescriber, bad):
    error = refused(
        Invalid, services.register_patient, prescriber, registration(personal_id=bad)
    )
    assert error.fields["personal_id"]
    assert row_counts() == (0, 0, 0, 0, 0)


def test_personnummer_born_in_the_future_is_refused(prescriber):
    future = synthetic_personnummer(TODAY + timedelta(days=400), 981)
    error = refused(
        Invalid, services.register_patient, prescriber, registration(personal_id=future)
    )
    assert error.fields == {"personal_id": ["Födelsedatumet ligger i framtiden."]}


def test_every_bad_field_is_reported_at_once(prescriber):
    error = refused(
        Invalid,
        services.register_patient,
        prescriber,
        registration(
            first_name=" ",
            diabetes_type="type3",
            street="Box 123",
            postal_code="4110",
            city="",
            phone="12",
            email="anna@",
            clinic_code="",
        ),
    )
    assert set(error.fields) == {
        "first_name",
        "diabetes_type",
        "street",
        "postal_code",
        "city",
        "phone",
        "email",
        "clinic_code",
    }
    assert error.fields["street"] == ["Hjälpmedel levereras inte till boxadress."]


@pytest.mark.parametrize("code", ["OTHER", "NOSUCH"])
def test_clinic_must_be_one_of_the_prescribers_and_unknown_looks_the_same(
    prescriber, code
):
    make_clinic("OTHER")
    error = refused(
        Invalid, services.register_patient, prescriber, registration(clinic_code=code)
    )
    assert error.fields == {"clinic_code": ["Välj en av dina vårdenheter."]}
    assert row_counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("role", ["depot", "manager", "region", "admin"])
def test_only_prescribers_register_patients(own, role):
    clinics = [own] if role == "manager" else []
    user = make_user(role, clinics=clinics)
    refused(Forbidden, services.register_patient, user, registration())
    assert row_counts() == (0, 0, 0, 0, 0)


def test_duplicate_of_a_visible_patient_names_it(prescriber, own):
    existing = make_patient(own, personal_id=ADULT_PNR)
    error = refused(
        Conflict,
        services.register_patient,
        prescriber,
        registration(personal_id="900102-9801"),
    )
    assert error.code == "patient_exists"
    assert error.params == {"id": existing.id}
    assert error.fields == {"personal_id": ["Finns redan."]}


def test_duplicate_of_a_patient_the_prescriber_cannot_see_reveals_nothing(prescriber):
    hidden = make_patient(
        make_clinic("OTHER"),
        personal_id=ADULT_PNR,
        first_name="Hemlig",
        last_name="Hemligsson",
    )
    before = row_counts()
    error = refused(Conflict, services.register_patient, prescriber, registration())
    assert error.code == "patient_exists"
    assert error.params == {}
    text = str(error)
    assert "Hemlig" not in text and str(hidden.id) not in text and "OTHER" not in text
    assert "redan registrerad i regionen" in text
    # Nothing registered; the attempt is in the hidden patient's log (issue 15).
    assert row_counts()[:-1] == before[:-1]
    assert [(e.action, e.patient_id) for e in audit_rows()] == [
        ("registration_attempt", hidden.id)
    ]


def test_a_registration_racing_another_answers_conflict_too(
    prescriber, own, monkeypatch
):
    existing = make_patient(own, personal_id=ADULT_PNR)
    real_lookup = services._patient_by_number
    calls = []

    def lookup_missing_the_other_insert(number):
        calls.append(number)
        return None if len(calls) == 1 else real_lookup(number)

    monkeypatch.setattr(services, "_patient_by_number", lookup_missing_the_other_insert)
    before = row_counts()
    error = refused(Conflict, services.register_patient, prescriber, registration())
    assert error.params == {"id": existing.id}
    # Nothing registered; the attempt is in the patient's access log.
    assert row_counts() == (*before[:-1], before[-1] + 1)


def test_personnummer_with_a_space_is_accepted(prescriber):
    patient = services.register_patient(
        prescriber, registration(personal_id="900102 9801")
    )
    assert patient.personal_id == ADULT_PNR


# Search ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "199001029801",
        "19900102-9801",
        "900102-9801",
        "9001029801",
        "900102 9801",
        "19900102",
        "900102",
    ],
)
def test_search_finds_a_patient_by_personnummer_in_any_common_format(
    prescriber, own, text
):
    patient = make_patient(own, personal_id=ADULT_PNR)
    make_patient(own, personal_id=CHILD_PNR)
    result = services.search_patients(prescriber, text)
    assert [p.id for p in result.patients] == [patient.id]


@pytest.mark.parametrize("text", ["anna", "SVENS", "anna sv", "Maria", "lund", "åsa"])
def test_search_finds_patients_by_parts_of_their_names(prescriber, own, text):
    wanted = {
        "anna": "anna",
        "SVENS": "anna",
        "anna sv": "anna",
        "Maria": "anna",
        "lund": "åsa",
        "åsa": "åsa",
    }[text]
    anna = make_patient(own, first_name="Anna Maria", last_name="Svensson")
    asa = make_patient(own, first_name="Åsa", last_name="Berg-Lund")
    make_patient(own, first_name="Bo", last_name="Ek")
    result = services.search_patients(prescriber, text)
    assert [p.id for p in result.patients] == [{"anna": anna, "åsa": asa}[wanted].id]


def test_search_sees_only_patients_with_a_current_care_relationship(prescriber, own):
    mine = make_patient(own, first_name="Anna", personal_id=ADULT_PNR)
    make_patient(make_clinic("OTHER"), first_name="Anna", personal_id=CHILD_PNR)
    ended = make_patient(own, first_name="Anna")
    ended.care_relationships[0].ended_on = TODAY
    db.session.commit()
    assert [p.id for p in services.search_patients(prescriber, "anna").patients] == [
        mine.id
    ]
    assert services.search_patients(prescriber, CHILD_PNR).patients == []


@pytest.mark.parametrize("role", ["depot", "manager", "region", "admin", "patient"])
def test_other_roles_may_not_search(own, role):
    patient = make_patient(own)
    user = make_user(
        role,
        clinics=[own] if role == "manager" else [],
        patients=[patient] if role == "patient" else [],
    )
    refused(Forbidden, services.search_patients, user, "test")


def test_search_writes_one_audit_row_per_patient_shown(prescriber, own):
    first = make_patient(own, first_name="Anna", last_name="Andersson")
    second = make_patient(own, first_name="Anna", last_name="Berg")
    make_patient(make_clinic("OTHER"), first_name="Anna")
    services.search_patients(prescriber, "anna")
    rows = audit_rows()
    assert [(e.action, e.patient_id, e.user_id) for e in rows] == [
        ("search", first.id, prescriber.id),
        ("search", second.id, prescriber.id),
    ]
    assert rows[0].detail == "sökning: anna"


def test_search_without_hits_still_leaves_a_trace(prescriber):
    services.search_patients(prescriber, ADULT_PNR)
    assert [(e.action, e.patient_id, e.detail) for e in audit_rows()] == [
        ("search", None, f"sökning: {ADULT_PNR}")
    ]


def test_too_short_search_reads_nothing(prescriber, own):
    make_patient(own, first_name="Anna")
    result = services.search_patients(prescriber, "a")
    assert (result.searched, result.patients, audit_rows()) == (False, [], [])


def test_search_with_a_bad_control_digit_says_so(prescriber):
    error = refused(Invalid, services.search_patients, prescriber, "19900102-9802")
    assert error.fields["personal_id"]


def test_like_wildcards_in_the_search_text_match_literally(prescriber, own):
    make_patient(own, first_name="Anna")
    assert services.search_patients(prescriber, "%%").patients == []
    assert services.search_patients(prescriber, "__").patients == []


def test_search_pages_through_many_hits(prescriber, own):
    for n in range(PAGE_SIZE + 3):
        make_patient(own, first_name="Anna", last_name=f"Patient{n:03d}")
    second = services.search_patients(prescriber, "anna", page=2)
    assert (second.total, second.pages, len(second.patients)) == (PAGE_SIZE + 3, 2, 3)


def _selects_for_search(prescriber) -> int:
    """SELECTs only: the audit INSERTs are one per shown patient by design."""
    count = 0

    def counter(conn, cursor, statement, *args):
        nonlocal count
        count += statement.lstrip().upper().startswith("SELECT")

    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        result = services.search_patients(prescriber, "anna")
        [c.clinic.name for p in result.patients for c in p.care_relationships]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_search_queries_do_not_grow_with_the_hits(prescriber, own):
    second = make_clinic("SECOND")
    prescriber.clinics.append(second)
    db.session.commit()
    for _ in range(2):
        make_patient(own, first_name="Anna")
    few = _selects_for_search(prescriber)
    for _ in range(8):
        patient = make_patient(own, first_name="Anna")
        patient.care_relationships.append(
            CareRelationship(clinic_id=second.id, started_on=TODAY)
        )
    db.session.commit()
    db.session.expire_all()
    assert _selects_for_search(prescriber) == few


# Reading ---------------------------------------------------------------------


def test_protected_address_is_absent_for_a_prescriber_and_the_aids_centre(
    prescriber, own
):
    patient = make_patient(own, protected_identity=True)
    card = services.patient_card(prescriber, patient.id)
    assert (card.contact_visible, card.home_address, card.clinic_delivery_only) == (
        False,
        None,
        True,
    )
    # Need to know (issue 15): the aids centre reads no patient record at all.
    refused(Forbidden, services.patient_card, make_user("depot"), patient.id)
    assert [e.action for e in audit_rows()] == ["read"]


def test_patient_of_another_clinic_is_not_visible(prescriber):
    stranger = make_patient(make_clinic("OTHER"))
    refused(NotVisible, services.patient_card, prescriber, stranger.id)
    refused(NotVisible, services.update_contact, prescriber, stranger.id, {})
    assert audit_rows() == []


# Changes ---------------------------------------------------------------------


def test_contact_details_are_checked_and_saved_with_an_audit_row(prescriber, own):
    patient = make_patient(own)
    error = refused(
        Invalid,
        services.update_contact,
        prescriber,
        patient.id,
        {"phone": "abc", "email": "x"},
    )
    assert set(error.fields) == {"phone", "email"}
    services.update_contact(
        prescriber, patient.id, {"phone": "+46 70 123 45 67", "email": "a@b.se"}
    )
    assert (patient.phone, patient.email) == ("+46 70 123 45 67", "a@b.se")
    assert [(e.action, e.detail) for e in audit_rows()] == [
        ("update", "kontaktuppgifter")
    ]


def test_protected_identity_can_be_turned_on_but_not_off(prescriber, own):
    patient = make_patient(own)
    services.update_contact(prescriber, patient.id, {"protected_identity": True})
    assert patient.protected_identity
    services.update_contact(prescriber, patient.id, {"protected_identity": False})
    assert patient.protected_identity


def test_home_address_is_replaced(prescriber, own):
    patient = make_patient(own)
    services.set_home_address(
        prescriber,
        patient.id,
        {
            "street": "Nygatan 2",
            "postal_code": "41102",
            "city": "Göteborg",
            "door_code": "",
        },
    )
    home = patient.home_address()
    assert (home.street, home.door_code) == ("Nygatan 2", None)
    assert len(patient.addresses) == 1


def temporary(valid_from, valid_to, **kw) -> dict:
    return {
        "street": "Sommarvägen 1",
        "postal_code": "45196",
        "city": "Uddevalla",
        "valid_from": valid_from,
        "valid_to": valid_to,
        **kw,
    }


def test_temporary_address_becomes_the_delivery_address_in_its_period(prescriber, own):
    patient = make_patient(own)
    services.add_temporary_address(
        prescriber, patient.id, temporary(TODAY, TODAY + timedelta(days=30))
    )
    assert patient.delivery_address_on(TODAY).street == "Sommarvägen 1"
    assert patient.delivery_address_on(TODAY + timedelta(days=31)).kind == "home"


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (10, 5, "valid_to", "Till-datum får inte vara före från-datum."),
        (-10, -1, "valid_to", "Till-datum har redan passerat."),
        (20, 40, "valid_from", "Perioden överlappar en annan tillfällig adress."),
        (None, 5, "valid_from", "Obligatoriskt."),
    ],
)
def test_temporary_address_period_rules(prescriber, own, start, end, field, message):
    patient = make_patient(own)
    services.add_temporary_address(
        prescriber,
        patient.id,
        temporary(TODAY + timedelta(days=30), TODAY + timedelta(days=60)),
    )
    before = row_counts()

    def day(n):
        return None if n is None else TODAY + timedelta(days=n)

    error = refused(
        Invalid,
        services.add_temporary_address,
        prescriber,
        patient.id,
        temporary(day(start), day(end)),
    )
    assert error.fields == {field: [message]}
    assert row_counts() == before


def test_protected_patient_gets_no_temporary_address(prescriber, own):
    patient = make_patient(own, protected_identity=True)
    refused(
        Conflict,
        services.add_temporary_address,
        prescriber,
        patient.id,
        temporary(TODAY, TODAY + timedelta(days=3)),
    )
    assert len(patient.addresses) == 1


def test_temporary_address_is_removed_only_from_its_own_patient(prescriber, own):
    patient, other = make_patient(own), make_patient(own)
    address = services.add_temporary_address(
        prescriber, patient.id, temporary(TODAY, TODAY + timedelta(days=3))
    )
    refused(
        NotVisible, services.remove_temporary_address, prescriber, other.id, address.id
    )
    home_id = patient.home_address().id
    refused(
        NotVisible, services.remove_temporary_address, prescriber, patient.id, home_id
    )
    services.remove_temporary_address(prescriber, patient.id, address.id)
    assert [a.kind for a in patient.addresses] == ["home"]


def test_guardian_is_added_for_a_child(prescriber, own):
    child = make_patient(own, birth_date=TODAY.replace(year=TODAY.year - 7))
    guardian = services.add_guardian(
        prescriber, child.id, {"name": "Karin Berg", "phone": "0701234567"}
    )
    assert [g.name for g in child.guardians] == ["Karin Berg"]
    assert guardian.user_id is None


@pytest.mark.parametrize("years", [18, 40, 70])
def test_guardian_is_refused_for_an_adult(prescriber, own, years):
    adult = make_patient(own, birth_date=TODAY.replace(year=TODAY.year - years))
    error = refused(
        Conflict, services.add_guardian, prescriber, adult.id, {"name": "Karin Berg"}
    )
    assert "barn" in str(error)
    assert row_counts()[3] == 0


def test_guardian_needs_a_name(prescriber, own):
    child = make_patient(own, birth_date=date(TODAY.year - 3, 1, 1))
    error = refused(Invalid, services.add_guardian, prescriber, child.id, {"name": ""})
    assert error.fields == {"name": ["Obligatoriskt."]}


def test_prescriber_adds_another_own_clinic_to_a_patient(prescriber, own):
    second = make_clinic("SECOND")
    prescriber.clinics.append(second)
    db.session.commit()
    patient = make_patient(own)
    services.add_care_relationship(prescriber, patient.id, "SECOND")
    assert patient.clinic_ids == {own.id, second.id}
    refused(Conflict, services.add_care_relationship, prescriber, patient.id, "SECOND")


def test_prescriber_cannot_give_a_foreign_clinic_a_care_relationship(prescriber, own):
    make_clinic("OTHER")
    patient = make_patient(own)
    error = refused(
        Invalid, services.add_care_relationship, prescriber, patient.id, "OTHER"
    )
    assert error.fields == {"clinic_code": ["Välj en av dina vårdenheter."]}


@pytest.mark.parametrize("role", ["depot", "manager"])
def test_only_prescribers_change_patients(own, role):
    patient = make_patient(own)
    user = make_user(role, clinics=[own] if role == "manager" else [])
    refused(Forbidden, services.update_contact, user, patient.id, {"phone": ""})
    refused(Forbidden, services.add_guardian, user, patient.id, {"name": "X"})
    assert audit_rows() == []
