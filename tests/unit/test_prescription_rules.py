"""Prescription rules without a database: defaults, limits, reasons, rights."""

from datetime import date

import pytest

from sesamlike.common.errors import Invalid
from sesamlike.prescriptions import quantities, rules
from sesamlike.prescriptions.errors import (
    ArticleNotPrescribable,
    FirstPrescriptionRightRequired,
    QuantityToConfirm,
    ReasonRequired,
)

START = date(2025, 3, 1)


def terms(category="infusion_set", **kw):
    args = dict(packs_per_withdrawal=1, withdrawals=4, period_days=90, valid_from=START)
    args.update(kw)
    return rules.resolve_terms(category, **args)


def field_errors(excinfo) -> dict[str, list[str]]:
    return excinfo.value.fields


def test_valid_to_defaults_to_one_year_minus_a_day():
    assert terms().valid_to == date(2026, 2, 28)
    assert terms(valid_from=date(2025, 1, 15)).valid_to == date(2026, 1, 14)


def test_default_validity_from_leap_day_ends_the_last_day_of_february():
    assert rules.default_valid_to(date(2024, 2, 29)) == date(2025, 2, 28)


def test_cgm_sensors_also_default_to_one_year():
    assert terms("cgm_sensor").valid_to == date(2026, 2, 28)


def test_one_year_is_the_longest_validity_for_most_articles():
    assert terms(valid_to=date(2026, 2, 28)).valid_to == date(2026, 2, 28)
    with pytest.raises(Invalid) as excinfo:
        terms(valid_to=date(2026, 3, 1))
    assert field_errors(excinfo)["valid_to"] == [
        "Giltigheten får vara högst ett år. Välj ett tidigare slutdatum."
    ]


@pytest.mark.parametrize("category", ["pump", "cgm_reader", "pod", "cgm_transmitter"])
def test_other_categories_may_not_exceed_one_year(category):
    with pytest.raises(Invalid):
        terms(category, valid_to=date(2027, 2, 28))


def test_cgm_sensors_may_be_prescribed_for_two_years():
    assert terms("cgm_sensor", valid_to=date(2027, 2, 28)).valid_to == date(2027, 2, 28)
    with pytest.raises(Invalid) as excinfo:
        terms("cgm_sensor", valid_to=date(2027, 3, 1))
    assert "två år för CGM-sensorer" in field_errors(excinfo)["valid_to"][0]


def test_valid_to_before_valid_from_is_refused():
    with pytest.raises(Invalid) as excinfo:
        terms(valid_to=date(2025, 2, 28))
    assert field_errors(excinfo) == {
        "valid_to": ["Giltig till får inte vara före giltig från."]
    }


@pytest.mark.parametrize(
    ("period", "lock"),
    [(90, 60), (30, 20), (14, 9), (1, 1), (2, 1), (4, 3), (730, 487)],
)
def test_lock_defaults_to_two_thirds_of_the_period_rounded(period, lock):
    assert rules.default_lock_days(period) == lock
    assert terms(period_days=period, withdrawals=1).lock_days == lock


def test_given_lock_is_kept_and_may_be_zero():
    assert terms(lock_days=45).lock_days == 45
    assert terms(lock_days=0).lock_days == 0


def test_lock_longer_than_the_period_is_refused():
    with pytest.raises(Invalid) as excinfo:
        terms(lock_days=91)
    assert list(field_errors(excinfo)) == ["lock_days"]


@pytest.mark.parametrize("period", [None, "x", 0, 731])
def test_a_lock_wrong_for_any_period_is_named_with_a_wrong_period(period):
    with pytest.raises(Invalid) as excinfo:
        terms(period_days=period, lock_days=-5)
    assert set(field_errors(excinfo)) == {"period_days", "lock_days"}
    with pytest.raises(Invalid) as excinfo:
        terms(period_days=period, lock_days=731)  # longer than any period
    assert set(field_errors(excinfo)) == {"period_days", "lock_days"}
    with pytest.raises(Invalid) as excinfo:
        terms(period_days=period, lock_days=30)  # right for some periods
    assert set(field_errors(excinfo)) == {"period_days"}


def test_every_wrong_quantity_is_named_at_once():
    with pytest.raises(Invalid) as excinfo:
        rules.resolve_terms("pod", 0, None, "x", None)
    assert field_errors(excinfo) == {
        "packs_per_withdrawal": ["Ange 1–999 förpackningar per uttag."],
        "withdrawals": ["Obligatoriskt."],
        "period_days": ["Ange ett heltal."],
        "valid_from": ["Obligatoriskt."],
    }
    assert excinfo.value.message == rules.INVALID_MESSAGE


def test_withdrawals_the_time_lock_leaves_no_room_for_are_refused():
    # 7 locks of 60 days after the first withdrawal need 420 days; a year has 364.
    with pytest.raises(Invalid) as excinfo:
        terms(withdrawals=8)
    assert "Minska antalet uttag" in field_errors(excinfo)["withdrawals"][0]
    assert terms("cgm_sensor", withdrawals=8, valid_to=date(2027, 2, 28))


def test_first_choice_procured_article_needs_no_reason_and_drops_one_given():
    assert rules.check_reason("A1", True, 1, None, None) == (None, None)
    assert rules.check_reason("A1", True, 1, "medical", "Allergi") == (None, None)


@pytest.mark.parametrize(
    ("procured", "rank", "why"),
    [
        (False, None, "inte upphandlad"),
        (True, 2, "inte förstahandsval"),
        (True, None, "inte förstahandsval"),
        (False, 1, "inte upphandlad"),
    ],
)
def test_deviation_without_reason_is_refused_with_what_to_do(procured, rank, why):
    with pytest.raises(ReasonRequired) as excinfo:
        rules.check_reason("A1", procured, rank, None, "  ")
    error = excinfo.value
    assert error.code == "reason_required" and error.status == 422
    assert why in error.message.format(**error.params)
    assert "ange orsakskod och motivering" in error.message
    assert error.fields == {
        "reason_code": ["Välj en orsakskod."],
        "reason_text": ["Skriv en motivering."],
    }


@pytest.mark.parametrize("code", ["medical", "not_working", "patient_wish", "other"])
def test_every_reason_code_with_a_text_is_accepted(code):
    assert rules.check_reason("A1", False, None, code, "  Hudproblem\n av  tejp ") == (
        code,
        "Hudproblem av tejp",
    )


def test_reason_code_without_text_names_only_the_text():
    with pytest.raises(ReasonRequired) as excinfo:
        rules.check_reason("A1", True, 3, "medical", None)
    assert excinfo.value.fields == {"reason_text": ["Skriv en motivering."]}


def test_unknown_reason_code_and_overlong_text_are_refused():
    with pytest.raises(Invalid) as excinfo:
        rules.check_reason("A1", False, None, "cheaper", "x" * 501)
    assert set(excinfo.value.fields) == {"reason_code", "reason_text"}


@pytest.mark.parametrize(
    ("category", "earlier", "needed"),
    [
        ("pump", False, True),
        ("cgm_reader", False, True),
        ("pump", True, False),
        ("cgm_reader", True, False),
        # Starting CGM with sensors or a transmitter alone needs the right too.
        ("cgm_sensor", False, True),
        ("cgm_transmitter", False, True),
        ("cgm_sensor", True, False),
        ("infusion_set", False, False),
    ],
)
def test_first_time_right_is_needed_for_a_first_pump_or_to_start_cgm(
    category, earlier, needed
):
    assert rules.needs_first_time_right(category, earlier) is needed


def test_cost_centre_defaults_to_the_clinics_and_may_be_changed():
    assert rules.clean_cost_centre(None, "KS0001") == "KS0001"
    assert rules.clean_cost_centre("  ", "KS0001") == "KS0001"
    assert rules.clean_cost_centre(" KS-9 ", "KS0001") == "KS-9"
    with pytest.raises(Invalid) as excinfo:
        rules.clean_cost_centre("KS 9; drop", "KS0001")
    assert list(excinfo.value.fields) == ["cost_centre"]


def test_renewal_of_a_live_prescription_starts_when_it_ends():
    today = date(2025, 6, 1)
    assert rules.renewal_start(today, date(2025, 8, 31), True) == date(2025, 9, 1)
    assert rules.renewal_start(today, date(2025, 8, 31), False) == today
    assert rules.renewal_start(today, date(2025, 5, 1), True) == today


def test_renewal_keeps_the_length_in_days_but_not_past_the_limit():
    # 1 June to 31 August is 91 days on; so is 1 September to 1 December.
    assert rules.renewal_end(
        date(2025, 9, 1), date(2025, 6, 1), date(2025, 8, 31), "pod"
    ) == date(2025, 12, 1)
    # 365 days from a leap-year span would pass the one-year limit by a day.
    assert rules.renewal_end(
        date(2024, 3, 1), date(2023, 3, 1), date(2024, 2, 29), "pod"
    ) == date(2025, 2, 28)


def test_a_renewal_of_whole_years_lasts_whole_years_over_a_leap_day():
    """A prescription for one year (4 Dec 2026 - 3 Dec 2027), renewed from the
    day after, was "förnyad och gäller 4 december 2027-2 december 2028": 364
    days on, a day short, as 29 February 2028 falls inside."""
    assert rules.renewal_end(
        date(2027, 12, 4), date(2026, 12, 4), date(2027, 12, 3), "infusion_set"
    ) == date(2028, 12, 3)
    # Two years of CGM sensors stay two years.
    assert rules.renewal_end(
        date(2027, 1, 1), date(2025, 1, 1), date(2026, 12, 31), "cgm_sensor"
    ) == date(2028, 12, 31)
    # Whole years never pass the category's limit.
    assert rules.renewal_end(
        date(2027, 1, 1), date(2025, 1, 1), date(2026, 12, 31), "pod"
    ) == date(2027, 12, 31)


def article(**kw):
    from sesamlike.catalog.models import Article

    values = dict(article_no="A1", name="Quick-set", valid_from=date(2020, 1, 1),
                  valid_to=None)  # fmt: skip
    values.update(kw)
    return Article(**values)


@pytest.mark.parametrize(
    ("valid_from", "valid_to"),
    [
        (date(2020, 1, 1), None),  # open-ended contract
        (START, None),  # the contract's first day
        (date(2020, 1, 1), START),  # its last day
    ],
)
def test_article_in_contract_passes(valid_from, valid_to):
    in_contract = article(valid_from=valid_from, valid_to=valid_to)
    assert in_contract.in_contract_on(START)
    # Passing: no refusal, nothing raised and nothing returned.
    assert (
        rules.check_contract(in_contract, START, in_contract.in_contract_on(START))
        is None
    )


def test_phased_out_article_is_refused_with_its_end_date():
    with pytest.raises(ArticleNotPrescribable) as excinfo:
        rules.check_contract(article(valid_to=date(2018, 6, 30)), START, False)
    error = excinfo.value
    assert error.status == 422 and error.code == "article_not_prescribable"
    assert error.message.format(**error.params).startswith(
        "Quick-set (A1) är utgången sedan 30 juni 2018"
    )
    assert list(error.fields) == ["article_no"]


def test_article_before_its_contract_is_refused_with_its_start_date():
    with pytest.raises(ArticleNotPrescribable) as excinfo:
        rules.check_contract(article(valid_from=date(2025, 4, 1)), START, False)
    assert "först från 1 april 2025" in excinfo.value.message.format(
        **excinfo.value.params
    )


def test_first_time_refusal_says_who_may_do_it():
    rules.check_first_time_right("pump", False, True)
    rules.check_first_time_right("pump", True, False)
    with pytest.raises(FirstPrescriptionRightRequired) as excinfo:
        rules.check_first_time_right("cgm_reader", False, False)
    assert excinfo.value.status == 403
    assert "nyförskrivning" in excinfo.value.fields["article_no"][0]


def test_clinic_is_the_named_or_first_shared_one():
    from sesamlike.accounts.models import Clinic

    a, b, c = (Clinic(id=n, code=code) for n, code in ((1, "A"), (2, "B"), (3, "C")))
    assert rules.choose_clinic([a, b, c], {2, 3}, None) is b
    assert rules.choose_clinic([a, b, c], {2, 3}, " C ") is c
    with pytest.raises(Invalid) as excinfo:
        rules.choose_clinic([a, b, c], {2, 3}, "A")
    assert list(excinfo.value.fields) == ["clinic_code"]


def test_collect_reports_every_field_under_the_most_specific_error():
    def bad_terms():
        raise Invalid(rules.INVALID_MESSAGE, fields={"withdrawals": ["x"]})

    def no_reason():
        raise ReasonRequired("why", fields={"reason_code": ["y"]})

    assert rules.collect(lambda: 1, lambda: 2) == [1, 2]
    with pytest.raises(ReasonRequired) as excinfo:
        rules.collect(bad_terms, lambda: 1, no_reason)
    assert excinfo.value.fields == {"withdrawals": ["x"], "reason_code": ["y"]}


def quick_set():
    from decimal import Decimal

    from sesamlike.catalog.models import Article

    # A set every third day, 10 a pack: 3 packs last 90 days, 13 a year.
    return Article(
        name="Quick-set",
        category="infusion_set",
        pack_size=10,
        units_per_day=Decimal("0.3333"),
        serial_tracked=False,
    )


@pytest.mark.parametrize(
    ("given", "fields"),
    [
        ({}, None),  # 4 x 3 packs, lock 60: a year's need
        ({"withdrawals": 6}, None),  # 180 sets in a year: within 1.5 x 122
        ({"withdrawals": 7}, ["withdrawals"]),
        ({"lock_days": 45}, None),  # half the period: twice as fast at most
        ({"lock_days": 44}, ["lock_days"]),
        ({"withdrawals": 1, "lock_days": 0}, None),  # no next withdrawal to lock
        ({"withdrawals": 40, "lock_days": 0}, ["withdrawals", "lock_days"]),
        ({"packs_per_withdrawal": 5, "withdrawals": 1}, ["packs_per_withdrawal"]),
        ({"packs_per_withdrawal": 5}, ["packs_per_withdrawal", "withdrawals"]),
        # One withdrawal for 90 days, valid 30: the whole period counts.
        ({"withdrawals": 1, "valid_to": date(2025, 3, 30)}, None),
        # Refused by `resolve_terms`: confirming could not help.
        ({"withdrawals": 40}, None),
        ({"valid_from": None, "withdrawals": 40, "lock_days": 0}, None),
    ],
)
def test_quantity_to_confirm_counts_all_withdrawals_and_the_time_lock(given, fields):
    args = dict(packs_per_withdrawal=3, withdrawals=4, period_days=90,
                valid_from=START) | given  # fmt: skip
    if fields is None:
        quantities.check_quantity(quick_set(), args, confirmed=False)
        return
    with pytest.raises(QuantityToConfirm) as excinfo:
        quantities.check_quantity(quick_set(), args, confirmed=False)
    assert list(excinfo.value.fields) == fields
    quantities.check_quantity(quick_set(), args, confirmed=True)


def test_one_pack_that_outlasts_its_period_is_never_too_many():
    """The walkthrough: renewing 1 pack of MiniMed batteries a 90-day
    withdrawal asked to confirm "more than 1.5 times the expected use, which
    is about 1 pack": one pack is the least a withdrawal can be."""
    from decimal import Decimal

    from sesamlike.catalog.models import Article

    battery = Article(name="MiniMed batterilock", category="battery",
                      pack_size=1, units_per_day=Decimal("0.0067"),
                      serial_tracked=False)  # fmt: skip
    one = dict(packs_per_withdrawal=1, withdrawals=1, period_days=90,
               valid_from=START)  # fmt: skip
    quantities.check_quantity(battery, one, confirmed=False)
    with pytest.raises(QuantityToConfirm) as excinfo:
        quantities.check_quantity(
            battery, one | {"packs_per_withdrawal": 2}, confirmed=False
        )
    assert list(excinfo.value.fields) == ["packs_per_withdrawal"]
