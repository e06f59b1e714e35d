"""What a guardian meets in the portal once a child's death is registered:
the child is no longer offered, and "Mina barn" says so gently instead of
saying the account is linked to no child."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sesamlike.common.time import region_today
from sesamlike.patients import care_end
from tests.factories import make_patient, make_user
from tests.portal_data import make_region

YESTERDAY = region_today() - timedelta(days=1)
GONE = "Ditt barns uppgifter finns inte längre i e-tjänsten"
NOT_LINKED = "Ditt konto är inte kopplat till något barn."


@pytest.fixture
def region():
    return make_region()


@pytest.fixture
def doctor(region):
    return make_user("prescriber", clinics=[region.clinic])


def test_the_guardian_of_an_only_child_who_died_is_told_where_to_turn(
    client, auth, region, doctor
):
    """They read "Ditt konto är inte kopplat till något barn", as if they had
    never had a child in the service."""
    make_user("guardian", patients=[region.child], username="per")
    care_end.end_care(doctor, region.child.id, "deceased", YESTERDAY)
    auth.login("per")

    page = client.get("/portal/", follow_redirects=True)

    assert page.status_code == 200
    assert GONE in page.text
    assert "kontakta barnets diabetesmottagning" in page.text
    assert NOT_LINKED not in page.text
    assert "Olle" not in page.text and "Välj Olle" not in page.text


def test_a_guardian_of_several_is_offered_only_the_living_children(
    client, auth, region, doctor
):
    kim = make_patient(region.clinic, first_name="Kim", last_name="Ek",
                       birth_date=date(2016, 5, 5))  # fmt: skip
    make_user("guardian", patients=[region.child, kim], username="per")
    care_end.end_care(doctor, region.child.id, "deceased", YESTERDAY)
    auth.login("per")

    page = client.get("/portal/")  # the one child left is chosen at once
    assert page.status_code == 200 and "Kim" in page.text
    chosen = client.post("/portal/choose", data={"patient_id": region.child.id})
    assert chosen.status_code == 404
    auth.logout()

    auth.login("anna")  # Olle, who died, and Sara with protected identity
    choosing = client.get("/portal/", follow_redirects=True)
    assert choosing.status_code == 200
    assert "Olle" not in choosing.text and "skyddade personuppgifter" in choosing.text
    assert NOT_LINKED not in choosing.text


def test_a_guardian_chosen_for_a_child_when_the_death_is_registered_is_not_shown_it(
    client, auth, region, doctor
):
    make_user("guardian", patients=[region.child], username="per")
    auth.login("per")
    assert "Olle" in client.get("/portal/").text
    care_end.end_care(doctor, region.child.id, "deceased", YESTERDAY)

    page = client.get("/portal/", follow_redirects=True)

    assert page.status_code == 200
    assert GONE in page.text and "Quick-set" not in page.text


def test_a_child_who_died_long_ago_is_not_told_as_grown_up(
    client, auth, region, doctor
):
    """Guardianship ends at 18, and the page said the child "har fyllt 18 år"
    of a child who died at twelve, once the 18th birthday would have come."""
    born = date(region_today().year - 20, 3, 1)
    child = make_patient(region.clinic, first_name="Tove", birth_date=born)
    make_user("guardian", patients=[child], username="per")
    care_end.end_care(doctor, child.id, "deceased", date(born.year + 12, 6, 1))
    auth.login("per")

    page = client.get("/portal/choose")

    assert GONE in page.text
    assert "fyllt 18 år" not in page.text
