"""Ordering rules without a database: delivery modes, entitlement, address snapshot."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sesamlike.accounts.models import Clinic
from sesamlike.catalog.models import Article
from sesamlike.orders import errors
from sesamlike.orders.rules import (
    allowed_delivery_modes,
    choose_delivery_mode,
    default_delivery_mode,
    pickup_refusal,
    ship_to_snapshot,
    statuses_refusal,
)
from sesamlike.patients.models import Address, Patient
from sesamlike.prescriptions import errors as prescription_errors
from sesamlike.prescriptions.entitlement import withdrawal_refusal
from sesamlike.prescriptions.models import Prescription

DAY = date(2026, 3, 10)


def prescription(**kw) -> Prescription:
    values = dict(
        packs_per_withdrawal=3,
        withdrawals=4,
        withdrawals_used=0,
        lock_days=60,
        valid_from=DAY - timedelta(days=30),
        valid_to=DAY + timedelta(days=300),
        last_withdrawal_on=None,
        status="active",
    )
    values.update(kw)
    rx = Prescription(**values)
    rx.article = Article(
        name="Infusionsset", channel="central", category="infusion_set"
    )
    return rx


@pytest.mark.parametrize(
    ("channels", "protected", "expected"),
    [
        (["central"], False, ["home", "clinic", "pickup"]),
        (["supplier", "central"], False, ["home", "clinic", "pickup"]),
        (["pharmacy"], False, ["home", "pharmacy"]),
        (["pharmacy", "central"], False, ["home"]),
        (["central"], True, ["clinic"]),
        (["pharmacy"], True, ["pharmacy"]),
        (["pharmacy", "supplier"], True, []),
    ],
)
def test_delivery_modes_suit_every_channel_of_the_order(channels, protected, expected):
    assert allowed_delivery_modes(channels, protected) == expected


@pytest.mark.parametrize(
    ("channels", "protected", "first_device", "expected"),
    [
        (["central"], False, False, "home"),
        (["supplier"], False, True, "clinic"),
        (["central"], True, False, "clinic"),
        (["pharmacy"], False, False, "pharmacy"),
        (["pharmacy", "central"], False, False, "home"),
        (["pharmacy", "supplier"], False, True, "home"),  # clinic does not suit both
        (["pharmacy"], True, False, "pharmacy"),
        ([], False, False, "home"),
    ],
)
def test_default_delivery_mode(channels, protected, first_device, expected):
    assert default_delivery_mode(channels, protected, first_device) == expected


def test_requested_mode_is_checked_against_the_channels():
    assert choose_delivery_mode("pickup", ["central"], False, False) == "pickup"
    assert choose_delivery_mode(None, ["supplier"], False, True) == "clinic"
    with pytest.raises(errors.DeliveryModeNotAllowed) as caught:
        choose_delivery_mode("pharmacy", ["central"], False, False)
    assert caught.value.params == {"allowed": "home, clinic, pickup"}
    with pytest.raises(errors.ProtectedIdentityClinicOnly):
        choose_delivery_mode("home", ["central"], True, False)
    with pytest.raises(errors.MixedDeliveryChannels):
        choose_delivery_mode(None, ["central", "pharmacy"], True, False)


def test_a_withdrawal_within_the_entitlement_is_allowed():
    assert withdrawal_refusal(prescription(), 3, DAY) is None


def test_more_packs_than_one_withdrawal_is_refused():
    refusal = withdrawal_refusal(prescription(), 4, DAY)
    assert isinstance(refusal, prescription_errors.TooManyPacks)
    assert refusal.params == {"max_packs": 3, "article": "Infusionsset"}


def test_time_lock_counts_lock_days_from_the_last_withdrawal():
    rx = prescription(withdrawals_used=1, last_withdrawal_on=DAY - timedelta(days=59))
    refusal = withdrawal_refusal(rx, 1, DAY)
    assert isinstance(refusal, prescription_errors.TimeLocked)
    assert refusal.params["opens_on"] == DAY + timedelta(days=1)
    assert withdrawal_refusal(rx, 1, DAY + timedelta(days=1)) is None


def test_a_time_lock_opening_after_the_prescription_ends_says_so():
    """Not "the next withdrawal from <a day it has expired>": none is left to
    make on it. The code stays `time_locked`, with `opens_on`."""
    rx = prescription(
        withdrawals_used=2,
        last_withdrawal_on=DAY - timedelta(days=10),
        valid_to=DAY + timedelta(days=20),
    )
    refusal = withdrawal_refusal(rx, 1, DAY)
    assert isinstance(refusal, prescription_errors.LockOutlastsPrescription)
    assert refusal.code == "time_locked"
    assert refusal.params["opens_on"] == DAY + timedelta(days=50)
    assert "gäller bara till och med 2026-03-30" in str(refusal)


def test_prescription_starting_later_opens_on_its_first_day():
    refusal = withdrawal_refusal(
        prescription(valid_from=DAY + timedelta(days=3)), 1, DAY
    )
    assert refusal.params["opens_on"] == DAY + timedelta(days=3)


def test_a_renewal_written_ahead_has_not_started_though_it_carries_a_withdrawal():
    """A renewal carries on the old prescription's last withdrawal (its time
    lock runs on): waiting for its first day, it is not started yet, not
    time-locked (the portal showed it as a second card of the article)."""
    rx = prescription(
        valid_from=DAY + timedelta(days=200),
        valid_to=DAY + timedelta(days=564),
        last_withdrawal_on=DAY - timedelta(days=10),
        renewed_from_id=7,
    )
    refusal = withdrawal_refusal(rx, 1, DAY)
    assert isinstance(refusal, prescription_errors.NotStartedYet)
    assert refusal.params["opens_on"] == DAY + timedelta(days=200)
    assert refusal.params["renewal"] is True


def test_a_renewal_whose_carried_time_lock_opens_after_its_start_is_time_locked():
    rx = prescription(
        valid_from=DAY + timedelta(days=20),
        last_withdrawal_on=DAY - timedelta(days=10),
        renewed_from_id=7,
    )
    refusal = withdrawal_refusal(rx, 1, DAY)
    assert type(refusal) is prescription_errors.TimeLocked
    assert refusal.params["opens_on"] == DAY + timedelta(days=50)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"withdrawals_used": 4}, prescription_errors.PrescriptionUsedUp),
        ({"status": "used_up"}, prescription_errors.PrescriptionUsedUp),
        ({"status": "cancelled"}, prescription_errors.PrescriptionCancelled),
        (
            {"valid_to": DAY - timedelta(days=1)},
            prescription_errors.PrescriptionExpired,
        ),
    ],
)
def test_prescriptions_that_are_not_active_are_refused(changes, error):
    refusal = withdrawal_refusal(prescription(**changes), 1, DAY)
    assert type(refusal) is error
    assert refusal.status == 409


def patient(protected: bool = False) -> Patient:
    p = Patient(first_name="Ella", last_name="Ek", protected_identity=protected)
    p.addresses = [
        Address(
            kind="home",
            street="Storgatan 1",
            postal_code="41101",
            city="Göteborg",
            door_code="1234",
        ),
    ]
    return p


CLINIC = Clinic(
    name="Mottagning Öst", street="Östra vägen 3", postal_code="41666", city="Göteborg"
)


def test_home_delivery_snapshots_the_patients_address_and_phone():
    snap = ship_to_snapshot(patient(), "home", CLINIC, None, "0701", DAY)
    assert snap == {
        "ship_to_name": "Ella Ek",
        "ship_to_street": "Storgatan 1",
        "ship_to_postal_code": "41101",
        "ship_to_city": "Göteborg",
        "ship_to_door_code": "1234",
        "contact_phone": "0701",
    }


def test_clinic_delivery_snapshots_the_clinic_and_hides_a_protected_phone():
    snap = ship_to_snapshot(
        patient(protected=True), "clinic", CLINIC, None, "0701", DAY
    )
    assert snap["ship_to_street"] == "Östra vägen 3"
    assert snap["contact_phone"] is None and "ship_to_door_code" not in snap


def test_pharmacy_pickup_has_no_address():
    assert ship_to_snapshot(patient(), "pharmacy", CLINIC, None, "0701", DAY) == {
        "contact_phone": "0701"
    }


@pytest.mark.parametrize(
    ("mode", "phone", "refused"),
    [
        ("pickup", None, True),
        ("pickup", "  ", True),
        ("pickup", "070-123 45 67", False),
        ("home", None, False),
        ("clinic", None, False),
        ("pharmacy", None, False),
    ],
)
def test_a_parcel_to_a_pickup_point_needs_a_mobile_number(mode, phone, refused):
    refusal = pickup_refusal(mode, phone)
    assert (refusal is not None) == refused
    if refused:
        assert refusal.code == "pickup_needs_mobile"
        assert set(refusal.fields) == {"contact_phone", "delivery_mode"}


@pytest.mark.parametrize(
    ("statuses", "refusal"),
    [
        (["reserved", "backordered"], None),
        (["reserved", "cancelled"], None),  # a line cancelled, the rest still open
        (["cancelled", "cancelled"], errors.AlreadyCancelled),
        (["shipped", "cancelled"], errors.NotCancellable),
        (["delivered"], errors.NotCancellable),
    ],
)
def test_an_order_is_cancellable_until_something_ships_and_only_once(statuses, refusal):
    found = statuses_refusal(statuses)
    assert (None if found is None else type(found)) is refusal
    if refusal is errors.AlreadyCancelled:
        assert found.code == "not_cancellable" and "redan makulerad" in found.message


@pytest.mark.parametrize(
    ("article_channel", "expected"),
    [("supplier", "supplier"), ("central", "central"), ("pharmacy", "central")],
)
def test_a_warranty_replacement_goes_by_the_articles_channel_never_the_pharmacy(
    article_channel, expected
):
    from sesamlike.orders.rules import replacement_channel

    assert replacement_channel(article_channel) == expected
