"""What the end of a patient's care in the region stops in the areas at and
below orders (`patients.care_end`, given at app start): the open orders not
shipped, cancelled as the clinic cancels them; the prescriptions in force,
ended; after a move out of the region, the one notice to the family. The
devices lent are listed as expected back, never written off."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from sesamlike.accounts.models import User
from sesamlike.common.time import region_today
from sesamlike.extensions import db
from sesamlike.orders import notices, overview
from sesamlike.orders import services as ordering
from sesamlike.patients.care_end import Consequences, ExpectedBack, Stopped
from sesamlike.patients.models import CareEndReason, Patient
from sesamlike.prescriptions import services as prescriptions

WHY = "vården i regionen avslutad: {reason}"


def foresee(patient: Patient, today: date) -> Consequences:
    """What ending the patient's care would stop now, and the devices lent."""
    in_force = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            prescriptions.in_force_query(patient.id, today).subquery()
        )
    )
    return Consequences(
        open_orders=len(ordering.open_order_ids(patient.id)),
        prescriptions=in_force or 0,
        devices=expected_back(patient.id, today),
    )


def expected_back(patient_id: int, today: date) -> list[ExpectedBack]:
    """The pumps and CGM readers lent to the patient and not returned."""
    return [
        ExpectedBack(device.article.name, device.serial_no, device.since)
        for device in overview.devices_in_use(patient_id, today)
    ]


def stop(patient: Patient, user: User, reason: str, day: date) -> Stopped:
    """Cancel the open orders, end the prescriptions in force; after a move,
    tell the family once. In the caller's transaction."""
    today = region_today()
    why = WHY.format(reason=reason)
    lines = ordering.cancel_open_orders(user, patient.id, why)
    ended = prescriptions.end_in_force(user, patient.id, today, why)
    orders = len({line.order_id for line in lines})
    devices = len(expected_back(patient.id, today))
    if reason == CareEndReason.MOVED_OUT and (orders or ended):
        notices.care_moved_out(patient, bool(devices), today)
    return Stopped(
        orders=orders, lines=len(lines), prescriptions=ended, devices=devices
    )
