"""The report's kept figures last until a run, or until what it groups
patients by changes (migration 0043).

The report groups each patient by age group (from the birth date) and diabetes
type. Its kept figures (`followup.stored_figures`, PostgreSQL) were thrown
away by any change to any patient: a phone number changed at a reorder, a new
patient. A trigger now notes each transaction that changes a birth date or a
diabetes type (`patient_grouping_changes`); the kept figures last while that
number and the last run are the same.
"""

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from sesamlike.common import data_versions
from sesamlike.common.models import PatientGroupingChange
from sesamlike.extensions import db
from sesamlike.followup import report, summaries
from sesamlike.followup.runs import run_year
from sesamlike.followup.scope import resolve
from sesamlike.patients import services as patient_services
from sesamlike.patients.models import Patient
from tests import factories as f
from tests.conftest import is_postgres
from tests.integration.test_followup_report_figures import THRESHOLD, two_clinics  # noqa: F401

kept_on_postgresql = pytest.mark.skipif(
    not is_postgres(), reason="figures are kept on PostgreSQL only"
)


def noted() -> int:
    return db.session.scalar(sa.select(sa.func.count(PatientGroupingChange.id)))


def build(user, clinic=None):
    return report.build(resolve(user, clinic), 2025, THRESHOLD)


@pytest.fixture
def reported(two_clinics):  # noqa: F811
    """A run, and the region's report built once (its figures kept)."""
    north, _south, _sets, patient = two_clinics
    run_year(2025)
    region = f.make_user("region")
    return region, north, patient, build(region)


def computed_again(monkeypatch) -> list[str]:
    """Each time the report computes its figures rather than reading them kept."""
    calls: list[str] = []
    figures = summaries.figures

    def counted(*args, **kwargs):
        calls.append("figures")
        return figures(*args, **kwargs)

    monkeypatch.setattr(summaries, "figures", counted)
    return calls


def test_only_a_changed_birth_date_or_diabetes_type_is_noted(two_clinics):  # noqa: F811
    _north, south, _sets, patient = two_clinics
    db.session.commit()
    before = noted()
    patient.phone, patient.email = "070-123 45 67", "ny@example.se"
    f.make_patient(south)
    db.session.commit()
    # The same values again, by a core UPDATE (the ORM sends no unchanged column).
    same = {"diabetes_type": patient.diabetes_type, "birth_date": patient.birth_date}
    db.session.execute(sa.update(Patient).where(Patient.id == patient.id).values(same))
    db.session.commit()
    assert noted() == before

    patient.diabetes_type = "type2" if patient.diabetes_type != "type2" else "type1"
    db.session.commit()
    assert noted() == before + 1

    # A core UPDATE is noted too (the trigger, not the ORM, notes it), and a
    # birth date where there was none.
    unknown = f.make_patient(south, birth_date=None)
    db.session.execute(
        sa.update(Patient)
        .where(Patient.id == unknown.id)
        .values(birth_date=date(1990, 5, 17))
    )
    db.session.commit()
    assert noted() == before + 2

    # Two patients in one transaction: PostgreSQL notes the transaction once,
    # SQLite each row; the version moves either way.
    changed = sa.update(Patient).where(Patient.id.in_([patient.id, unknown.id]))
    db.session.execute(changed.values(diabetes_type="other"))
    db.session.commit()
    assert noted() == before + (3 if is_postgres() else 4)


def version() -> int:
    return db.session.scalar(data_versions.GROUPING_VERSION)


def test_the_nightly_prune_empties_the_log_and_keeps_the_version(reported):
    _region, _north, patient, _built = reported
    patient.birth_date = date(1961, 2, 3)
    db.session.commit()
    before = version()
    assert noted() >= 1

    counts = data_versions.prune()

    assert counts["grouping_changes"] >= 1 and noted() == 0
    assert version() == before
    patient.diabetes_type = "type2" if patient.diabetes_type != "type2" else "type1"
    db.session.commit()
    assert version() == before + 1
    data_versions.prune()
    data_versions.prune()  # nothing to empty: nothing moves
    assert version() == before + 1


@kept_on_postgresql
def test_a_change_not_committed_when_the_prune_runs_still_moves_the_version(
    reported,
):
    """The prune empties the rows it sees; a writer's row not committed yet
    stays, and counts once it is."""
    _region, _north, patient, _built = reported
    before = version()
    with db.engine.connect() as other:
        other.execute(
            sa.update(Patient)
            .where(Patient.id == patient.id)
            .values(birth_date=date(1977, 7, 7))
        )
        data_versions.prune()
        assert version() == before
        other.commit()
    assert version() == before + 1


@kept_on_postgresql
def test_the_figures_the_nightly_run_warmed_stay_kept_through_the_prune(
    reported, monkeypatch
):
    """The nightly prune (03:50) runs after the nightly run has warmed the
    report (02:00): the first manager of the morning still reads kept figures."""
    region, _north, patient, _built = reported
    patient.diabetes_type = "type2" if patient.diabetes_type != "type2" else "type1"
    db.session.commit()
    changed = build(region)  # computed again, and kept
    calls = computed_again(monkeypatch)

    data_versions.prune()

    assert build(region) == changed
    assert calls == []


@kept_on_postgresql
def test_a_phone_number_changed_or_a_new_patient_keeps_the_figures(
    reported, monkeypatch
):
    region, north, patient, built = reported
    calls = computed_again(monkeypatch)
    nurse = f.make_user("prescriber", clinics=[north])
    patient_services.update_contact(
        nurse, patient.id, {"phone": "070-765 43 21", "email": "annan@example.se"}
    )
    f.make_patient(north)
    db.session.commit()

    assert build(region) == built
    assert calls == []


@kept_on_postgresql
def test_a_changed_birth_date_or_diabetes_type_shows_at_once(reported, monkeypatch):
    region, _north, patient, built = reported
    calls = computed_again(monkeypatch)
    (age,) = built.ages
    # Written by a core UPDATE, as an import would: the trigger notes it.
    db.session.execute(
        sa.update(Patient)
        .where(Patient.id == patient.id)
        .values(birth_date=date(1950, 1, 1))
    )
    db.session.commit()

    changed = build(region)

    assert calls == ["figures"]
    assert list(changed.ages) != [age]
    assert changed.overall.total == built.overall.total == Decimal("2000.00")
