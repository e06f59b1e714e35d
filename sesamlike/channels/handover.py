"""When a supplier or pharmacy line went to them: its supplier file's day, or
its e-recept's. The order pages say "Leverantören har fått beställningen" only
once it has (`orders.status.HandOver`)."""

from __future__ import annotations

import sqlalchemy as sa

from sesamlike.channels.models import (
    PharmacyPrescription,
    SupplierExport,
    SupplierExportLine,
    SupplierStatus,
)
from sesamlike.common.time import region_day_of
from sesamlike.extensions import db
from sesamlike.orders.status import HandOver


def handovers(line_ids: list[int]) -> dict[int, HandOver]:
    """{line id: its hand-over} for those of `line_ids` in a supplier file or
    with an e-recept (one statement); the rest have not gone yet."""
    confirmed = SupplierExportLine.supplier_status == SupplierStatus.CONFIRMED
    in_file = (
        sa.select(SupplierExportLine.order_line_id, SupplierExport.export_date,
                  sa.cast(sa.null(), PharmacyPrescription.created_at.type)
                  .label("created_at"), confirmed.label("confirmed"))
        .join(SupplierExport, SupplierExport.id == SupplierExportLine.export_id)
        .where(SupplierExportLine.order_line_id.in_(line_ids))
    )  # fmt: skip
    issued = sa.select(
        PharmacyPrescription.order_line_id,
        sa.cast(sa.null(), SupplierExport.export_date.type).label("export_date"),
        PharmacyPrescription.created_at,
        sa.false().label("confirmed"),
    ).where(PharmacyPrescription.order_line_id.in_(line_ids))
    found = {}
    for line_id, export_date, created_at, is_confirmed in db.session.execute(
        sa.union_all(in_file, issued)
    ):
        day = export_date or region_day_of(created_at)
        found[line_id] = HandOver(day, bool(is_confirmed))
    return found
