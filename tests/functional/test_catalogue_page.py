"""The assortment page (/catalogue): search, marks, phased-out articles, access."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from sesamlike.common.formatting import format_date
from sesamlike.common.time import region_today
from tests.factories import (
    make_article,
    make_role_user,
    make_system,
)

STAFF = ["prescriber", "depot", "manager", "region", "admin"]
YESTERDAY = region_today() - timedelta(days=1)


def login_as(auth, role: str) -> None:
    make_role_user(role, username=f"u-{role}")
    assert auth.login(f"u-{role}").status_code == 302


def article_numbers(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]+)</th>', html)


@pytest.fixture
def assortment():
    minimed = make_system("MiniMed 780G")
    dexcom = make_system("Dexcom G7", kind="cgm")
    make_article(
        "MMT-397",
        name="Quick-set 9 mm",
        systems=[minimed],
        gtin="4006381333931",
        pack_price_sek=Decimal("1250.50"),
    )
    make_article(
        "MMT-1780",
        name="MiniMed 780G pump",
        category="pump",
        systems=[minimed],
        procured=True,
        first_choice_rank=2,
        benefit=False,
        channel="supplier",
        units_per_day=None,
        amortisation_years=4,
    )
    make_article(
        "DEX-G7",
        name="Dexcom G7 sensor",
        category="cgm_sensor",
        systems=[dexcom],
        procured=False,
        first_choice_rank=None,
        channel="pharmacy",
    )
    make_article("ANI-1", name="Animas Vibe set", valid_to=YESTERDAY)
    return {"minimed": minimed, "dexcom": dexcom}  # fmt: skip


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_the_assortment(client, auth, assortment, role):
    login_as(auth, role)
    response = client.get("/catalogue")
    assert response.status_code == 200
    assert "<h1>Sortiment</h1>" in response.text
    assert set(article_numbers(response.text)) == {"MMT-397", "MMT-1780", "DEX-G7"}


@pytest.mark.parametrize("role", ["patient", "guardian"])
def test_patients_and_guardians_are_refused(client, auth, role):
    login_as(auth, role)
    assert client.get("/catalogue").status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/catalogue")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_search_by_name(client, auth, assortment):
    login_as(auth, "prescriber")
    response = client.get("/catalogue?q=quick")
    assert article_numbers(response.text) == ["MMT-397"]
    assert "1 artikel" in response.text


def test_search_by_article_number(client, auth, assortment):
    login_as(auth, "prescriber")
    assert article_numbers(client.get("/catalogue?q=MMT-17").text) == ["MMT-1780"]


def test_search_by_system(client, auth, assortment):
    login_as(auth, "depot")
    dexcom = assortment["dexcom"]
    response = client.get(f"/catalogue?system={dexcom.id}")
    assert article_numbers(response.text) == ["DEX-G7"]
    assert f'<option selected value="{dexcom.id}">Dexcom G7</option>' in response.text


def test_search_by_category(client, auth, assortment):
    login_as(auth, "manager")
    response = client.get("/catalogue?category=pump")
    assert article_numbers(response.text) == ["MMT-1780"]


def test_nothing_found_says_so(client, auth, assortment):
    login_as(auth, "region")
    response = client.get("/catalogue?q=finnsinte")
    assert article_numbers(response.text) == []
    assert "Inga artiklar matchar sökningen." in response.text


def test_unknown_filter_values_are_ignored(client, auth, assortment):
    login_as(auth, "admin")
    response = client.get("/catalogue?system=abc&category=needle&page=x")
    assert response.status_code == 200
    assert len(article_numbers(response.text)) == 3


def test_phased_out_articles_are_hidden_unless_asked_for(client, auth, assortment):
    login_as(auth, "prescriber")
    default = client.get("/catalogue")
    assert "ANI-1" not in article_numbers(default.text)
    assert "utgångna artiklar visas inte" in default.text
    shown = client.get("/catalogue?phased_out=y")
    assert "ANI-1" in article_numbers(shown.text)
    assert f"Utgått {format_date(YESTERDAY)}" in shown.text
    assert '<input checked id="phased_out" name="phased_out"' in shown.text


def test_marks_prices_and_channels_are_shown(client, auth, assortment):
    login_as(auth, "prescriber")
    html = client.get("/catalogue").text
    quick_set = row_of(html, "MMT-397")
    assert "Upphandlad" in quick_set and "Förstahandsval" in quick_set
    assert "Förmån" in quick_set and "Hjälpmedelscentral" in quick_set
    assert "1\u00a0250,50" in quick_set and "GTIN 4006381333931" in quick_set
    assert "Infusionsset" in quick_set and "MiniMed 780G" in quick_set
    pump = row_of(html, "MMT-1780")
    assert "Val 2" in pump and "Förmån" not in pump and "Leverantör" in pump
    assert "Individmärkt" not in quick_set
    sensor = row_of(html, "DEX-G7")
    assert "Ej upphandlad" in sensor and "Apotek" in sensor
    assert "Förstahandsval" not in sensor


def test_first_choice_reads_as_on_the_prescribing_pages(client, auth, assortment):
    """The walkthrough: pumps of rank 2, 4 and 5 read "Val 2/4/5" here and
    "★ förstahandsval" on the prescribing pages. First choice is ranked inside
    a category for each system (domain.md): each is first in its own system."""
    make_article("MMT-398", name="Quick-set 6 mm", systems=[assortment["minimed"]],
                 first_choice_rank=2)  # fmt: skip
    login_as(auth, "prescriber")
    html = client.get("/catalogue").text
    pump = row_of(html, "MMT-1780")
    assert "Förstahandsval i sitt system" in pump and "Val 2 i kategorin" in pump
    # Second to the 9 mm in the same system and category: not first choice.
    second = row_of(html, "MMT-398")
    assert "Val 2" in second and "Förstahandsval" not in second


def test_articles_not_yet_valid_are_marked(client, auth):
    start = region_today() + timedelta(days=30)
    make_article("NEW-1", valid_from=start)
    login_as(auth, "prescriber")
    assert f"Gäller från {format_date(start)}" in client.get("/catalogue").text


def test_the_page_is_accessible(client, auth, assortment):
    login_as(auth, "prescriber")
    html = client.get("/catalogue").text
    for field in ("q", "system", "category", "phased_out"):
        assert f'<label for="{field}">' in html
    assert "<caption>Artiklar, sida 1 av 1</caption>" in html
    assert html.count('<th scope="col"') == 9
    assert 'role="search"' in html


def test_fifty_rows_per_page_with_links_that_keep_the_filters(client, auth):
    for n in range(55):
        make_article(f"S{n:03d}", name=f"Set {n:03d}")
    login_as(auth, "prescriber")
    first = client.get("/catalogue?category=infusion_set")
    assert len(article_numbers(first.text)) == 50
    assert "Sida 1 av 2" in first.text
    assert 'href="/catalogue?category=infusion_set&amp;page=2"' in first.text
    second = client.get("/catalogue?category=infusion_set&page=2")
    assert len(article_numbers(second.text)) == 5
    assert 'rel="prev"' in second.text


def test_the_page_has_english(client, auth, assortment):
    login_as(auth, "prescriber")
    client.post("/language", data={"locale": "en", "next": "/catalogue"})
    html = client.get("/catalogue").text
    assert "Assortment" in html and "First choice" in html
    assert "1,250.50" in html


def row_of(html: str, article_no: str) -> str:
    start = html.index(f'<th scope="row">{article_no}</th>')
    return html[start : html.index("</tr>", start)]
