"""The `users` and `clinics` commands of interfaces.md."""

import sqlalchemy as sa

from sesamlike.accounts.models import ApiToken, Clinic, User
from sesamlike.extensions import db
from sesamlike.patients.models import Guardian
from tests.factories import make_clinic, make_patient


def test_clinics_create_adds_a_clinic_with_its_cost_centre(runner):
    result = runner.invoke(
        args=[
            "clinics",
            "create",
            "--code",
            "BDM",
            "--name",
            "Barndiabetesmottagningen",
            "--cost-centre",
            "KS4711",
        ]
    )
    assert result.exit_code == 0, result.output
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.code == "BDM"))
    assert (clinic.name, clinic.cost_centre) == ("Barndiabetesmottagningen", "KS4711")


def test_clinics_create_refuses_a_duplicate_code(runner):
    make_clinic("BDM")
    result = runner.invoke(
        args=["clinics", "create", "--code", "BDM", "--name", "X", "--cost-centre", "1"]
    )
    assert result.exit_code == 1
    assert "BDM finns redan" in result.output


def test_clinics_create_refuses_details_longer_than_their_columns(runner):
    """A 30-character code was created on SQLite (which keeps no width) and
    failed with a traceback on PostgreSQL."""
    for code, name, cost_centre in [
        ("C" * 21, "Mottagningen", "1"),
        ("BDM", "N" * 121, "1"),
        ("BDM", "Mottagningen", "1" * 21),
    ]:
        args = ["clinics", "create", "--code", code, "--name", name]
        result = runner.invoke(args=args + ["--cost-centre", cost_centre])
        assert result.exit_code == 1, result.output
        assert (
            "Vårdenhetens kod får ha högst 20 tecken, namnet högst 120 och "
            "kostnadsstället högst 20."
        ) in result.output
    assert db.session.scalar(sa.select(sa.func.count(Clinic.id))) == 0


def test_users_create_prescriber_with_clinics_and_first_time_right(runner):
    make_clinic("A"), make_clinic("B")
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "dr.berg",
            "--password",
            "long-enough-1",
            "--role",
            "prescriber",
            "--clinic",
            "A",
            "--clinic",
            "B",
            "--first-time-prescriber",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "dr.berg"))
    assert user.role == "prescriber" and user.first_time_prescriber
    assert sorted(c.code for c in user.clinics) == ["A", "B"]
    assert user.check_password("long-enough-1")


def test_users_create_guardian_is_linked_to_each_child(runner):
    clinic = make_clinic()
    first, second = make_patient(clinic), make_patient(clinic)
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "mamma",
            "--password",
            "long-enough-1",
            "--role",
            "guardian",
            "--patient-id",
            str(first.id),
            "--patient-id",
            str(second.id),
        ]
    )
    assert result.exit_code == 0, result.output
    links = db.session.scalars(sa.select(Guardian.patient_id)).all()
    assert sorted(links) == sorted([first.id, second.id])


def test_users_create_patient_account_is_linked_to_the_patient(runner):
    patient = make_patient(make_clinic())
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "pat",
            "--password",
            "long-enough-1",
            "--role",
            "patient",
            "--patient-id",
            str(patient.id),
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.refresh(patient)
    assert patient.user.username == "pat"


def test_users_create_refuses_bad_input_and_writes_nothing(runner):
    make_clinic("A")
    cases = [
        (["--role", "prescriber"], "behöver en vårdenhet"),
        (["--role", "prescriber", "--clinic", "NOPE"], "Okänd vårdenhet"),
        (["--role", "patient"], "--patient-id"),
        (["--role", "patient", "--patient-id", "999"], "Okänd patient"),
        (["--role", "admin", "--password", "short-pass1"], "minst 12 tecken"),
        (
            [
                "--role",
                "admin",
                "--username",
                "anna.admin",
                "--password",
                "Anna.Admin-2026",
            ],
            "användarnamnet",
        ),
        (["--role", "admin", "--password", "aaaaaaaaaaaaaaa"], "lätt att gissa"),
        # Created on SQLite, a traceback on PostgreSQL (the column is 80 wide).
        (["--role", "admin", "--username", "u" * 81], "högst 80 tecken"),
        # Names the admin's page refuses: a space cannot be typed where it is
        # read back, and SQLite folds only a-z, so "Åsa" beside "åsa" would be
        # two logins to its case-blind lookups.
        (["--role", "admin", "--username", "anna svensson"], "inga mellanslag"),
        (["--role", "admin", "--username", "Åsa.berg"], "inte å, ä, ö"),
    ]
    for extra, message in cases:
        args = ["users", "create", "--username", "x", "--password", "long-enough-1"]
        result = runner.invoke(args=args + extra)
        assert result.exit_code == 1, (extra, result.output)
        assert message in result.output, (extra, result.output)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_users_create_refuses_a_patient_id_out_of_range(runner):
    """An id past the database's integers ended in a traceback (OverflowError
    on SQLite, a DataError on PostgreSQL)."""
    args = ["users", "create", "--username", "x", "--password", "long-enough-1"]
    for patient_id in ["99999999999999999999", "2147483648", "-2147483649"]:
        result = runner.invoke(
            args=args + ["--role", "patient", "--patient-id", patient_id]
        )
        assert result.exit_code == 2, (patient_id, result.output)
        assert "Invalid value for '--patient-id'" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    # An id in range that names no patient is refused as before (exit 1).
    result = runner.invoke(args=args + ["--role", "patient", "--patient-id", "0"])
    assert result.exit_code == 1, result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_users_create_unknown_role_is_refused(runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "x",
            "--password",
            "long-enough-1",
            "--role",
            "superuser",
        ]
    )
    assert result.exit_code == 2
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_users_token_prints_a_working_token_on_the_last_line(runner, client):
    clinic = make_clinic()
    patient = make_patient(clinic)
    runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "api",
            "--password",
            "long-enough-1",
            "--role",
            "prescriber",
            "--clinic",
            clinic.code,
        ]
    )
    result = runner.invoke(args=["users", "token", "api"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    stored = db.session.scalar(sa.select(ApiToken.token_hash))
    assert token not in stored  # only the hash is kept
    response = client.get(
        f"/api/v1/patients/{patient.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200


def test_users_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["users", "token", "nobody"])
    assert result.exit_code == 1
    assert "Okänd användare" in result.output


def test_users_create_refuses_a_username_differing_only_in_case(runner):
    clinic = make_clinic("A")
    args = ["users", "create", "--password", "long-enough-1", "--role", "prescriber",
            "--clinic", clinic.code, "--username"]  # fmt: skip
    assert runner.invoke(args=[*args, "dr.berg"]).exit_code == 0
    result = runner.invoke(args=[*args, "DR.Berg"])
    assert result.exit_code == 1
    assert "Användarnamnet är upptaget: dr.berg finns redan" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_users_commands_name_an_account_whatever_the_case_typed(runner):
    make_clinic("A")
    runner.invoke(args=["users", "create", "--username", "dr.berg", "--password",
                        "long-enough-1", "--role", "prescriber",
                        "--clinic", "A"])  # fmt: skip
    result = runner.invoke(args=["users", "deactivate", "DR.BERG"])
    assert result.exit_code == 0, result.output
    active = sa.select(User.active).where(User.username == "dr.berg")
    assert db.session.scalar(active) is False
