"""The report's cost centres add up to the patients' total.

A clinic manager saw "Total kostnad" 2 656 454,28 kr and the clinic's cost
centre 60 463 kr less, for the same 93 patients, with nothing on the page to
say why: patients who moved clinic, or had a prescription of another clinic,
had costs another clinic's cost centre paid. The table now has a row for
what other clinics paid of the same patients, and a sum equal to the total.
"""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from sesamlike.accounts.models import Clinic
from sesamlike.extensions import db
from sesamlike.followup.models import PatientYearPayer
from tests import factories as f
from tests.integration.test_followup_truth import june_mover


def centres_table(page: str) -> list[list[str]]:
    table = page.split('id="cost-centres"')[1].split("</table>")[0]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
        )
    ]


def clinic(code: str) -> Clinic:
    return db.session.scalar(sa.select(Clinic).where(Clinic.code == code))


def total_on(page: str) -> str:
    found = re.search(r"<dt>Total kostnad</dt><dd>([^<]+)</dd>", page)
    return html.unescape(found.group(1))


@pytest.fixture
def mover():
    june_mover()  # NORR paid 2 000 kr in March, SODR 1 000 kr in September
    return {
        code: f.make_user("manager", clinics=[clinic(code)])
        for code in ("NORR", "SODR")
    }


@pytest.mark.parametrize("stored", [True, False], ids=["stored payers", "from lines"])
@pytest.mark.parametrize(
    "code, own, elsewhere, units_elsewhere",
    [("NORR", "2\u00a0000,00\u00a0kr", "1\u00a0000,00\u00a0kr", "10"),
     ("SODR", "1\u00a0000,00\u00a0kr", "2\u00a0000,00\u00a0kr", "20")],
)  # fmt: skip
def test_what_other_clinics_paid_makes_the_table_add_up(
    client, auth, mover, stored, code, own, elsewhere, units_elsewhere
):
    if not stored:  # a year computed before payers were stored
        db.session.execute(sa.delete(PatientYearPayer))
        db.session.commit()
    auth.login(mover[code].username)
    page = client.get("/followup/?year=2025").get_data(as_text=True)

    rows = centres_table(page)
    assert rows[1][1] == code and rows[1][-1] == own
    assert rows[2][0] == "Andra vårdenheter, för samma patienter"
    assert rows[2][1:3] == ["1", units_elsewhere]  # the one patient, its sets
    assert rows[2][-1] == elsewhere
    assert rows[-1] == ["Summa", "3\u00a0000,00\u00a0kr"]
    assert total_on(page) == "3\u00a0000,00\u00a0kr"


def test_the_region_has_no_other_clinics_row(client, auth, mover):
    auth.login(f.make_user("region").username)
    page = client.get("/followup/?year=2025").get_data(as_text=True)
    rows = centres_table(page)
    assert [row[1] for row in rows[1:-1]] == ["NORR", "SODR"]
    assert not any("Andra vårdenheter" in row[0] for row in rows)
    assert rows[-1] == ["Summa", "3\u00a0000,00\u00a0kr"] == ["Summa", total_on(page)]
