"""Name search ignores case and diacritics, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sesamlike.common.text import fold
from sesamlike.extensions import db
from sesamlike.patients import services
from sesamlike.patients.models import Patient
from tests.factories import make_clinic, make_patient, make_user


@pytest.fixture
def prescriber():
    clinic = make_clinic("OWN")
    user = make_user("prescriber", clinics=[clinic])
    user.test_clinic = clinic
    return user


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("lofgren", "Löfgren"),
        ("LOFGREN", "Löfgren"),
        ("Löfgren", "Löfgren"),
        ("LÖFGREN", "Löfgren"),
        ("asa", "Åsa"),
        ("Åsa", "Asa"),
        ("noel", "Noël"),
        ("soren", "Søren"),
        ("aberg", "Lind-Åberg"),
        ("lind åberg", "Lind-Åberg"),
        ("ZOE", "Zoë"),
    ],
)
def test_a_name_is_found_whatever_its_case_and_diacritics(prescriber, typed, stored):
    wanted = make_patient(prescriber.test_clinic, last_name=stored)
    make_patient(prescriber.test_clinic, last_name="Berg")
    result = services.search_patients(prescriber, typed)
    assert [p.id for p in result.patients] == [wanted.id]


def test_first_and_last_name_words_both_must_match(prescriber):
    nora = make_patient(prescriber.test_clinic, first_name="Nora", last_name="Löfgren")
    make_patient(prescriber.test_clinic, first_name="Maja", last_name="Löfgren")
    result = services.search_patients(prescriber, "nora lofgren")
    assert [p.id for p in result.patients] == [nora.id]


@pytest.mark.parametrize("typed", ["Löfgren, Nora", "löfgren,nora", "Nora, Löfgren"])
def test_a_name_typed_as_the_results_show_it_is_found(prescriber, typed):
    """Results list "Löfgren, Nora"; typed back like that it found nothing."""
    nora = make_patient(prescriber.test_clinic, first_name="Nora", last_name="Löfgren")
    make_patient(prescriber.test_clinic, first_name="Maja", last_name="Löfgren")
    result = services.search_patients(prescriber, typed)
    assert [p.id for p in result.patients] == [nora.id]


def test_a_renamed_patient_is_found_by_the_new_name(prescriber):
    patient = make_patient(prescriber.test_clinic, last_name="Berg")
    patient.last_name = "Öström"
    db.session.commit()
    result = services.search_patients(prescriber, "ostrom")
    assert [p.id for p in result.patients] == [patient.id]


def test_bulk_inserted_patients_get_their_search_name():
    """The demo generator inserts rows with core inserts, not through the ORM."""
    db.session.execute(
        sa.insert(Patient.__table__),
        [
            {
                "personal_id": "R9000001",
                "id_kind": "reserve",
                "first_name": "Ärla",
                "last_name": "Ödman",
                "diabetes_type": "type1",
            }
        ],
    )
    db.session.commit()
    assert db.session.scalar(sa.select(Patient.search_name)) == "arla odman"


def test_only_separators_is_a_bad_search(prescriber):
    from sesamlike.common.errors import Invalid

    with pytest.raises(Invalid):
        services.search_patients(prescriber, "- -")
    db.session.rollback()


def test_fold_keeps_letters_and_drops_marks():
    assert fold("Nora Löfgren-Åberg") == "nora lofgren aberg"
    assert fold("  ÆRØ  straße ") == "aero strasse"


def test_the_migration_folds_the_names_of_patients_already_stored(tmp_path):
    """Upgrade a database that has patients from the revision before the column."""
    from flask_migrate import upgrade

    from sesamlike import create_app
    from sesamlike.config import TestConfig

    url = f"sqlite:///{tmp_path / 'before.db'}"
    old = create_app(TestConfig(url))
    with old.app_context():
        upgrade(revision="0012_fhir_bulk_exports")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO patients (personal_id, id_kind, first_name, "
                    "last_name, diabetes_type, protected_identity, created_at, "
                    "updated_at) VALUES ('R1', 'reserve', 'Nora', 'Löfgren', "
                    "'type1', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            folded = conn.execute(sa.text("SELECT search_name FROM patients")).scalar()
        db.engine.dispose()
    assert folded == "nora lofgren"
