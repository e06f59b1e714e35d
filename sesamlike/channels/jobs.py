"""Periodic jobs of the supplier and pharmacy channels.

Each is `function(now) -> counts` and safe to repeat: a line gets one e-recept
and lands in one supplier file, and a supplier's file of a day is written once.
"""

from __future__ import annotations

from datetime import datetime

from sesamlike.channels import pharmacy as pharmacy_channel
from sesamlike.channels import supplier as supplier_channel


def issue_pharmacy_prescriptions(now: datetime) -> dict[str, int]:
    """Send an e-recept for every pharmacy line that has none yet."""
    return {"issued": pharmacy_channel.issue_pharmacy_prescriptions()}


def export_supplier_orders(now: datetime) -> dict[str, int]:
    """Write today's file per supplier for the lines waiting (run late in the day)."""
    day = supplier_channel.region_today(now)
    before = {export.id for export in supplier_channel.exports_of(day)}
    exports = supplier_channel.export_supplier_orders(day, today=day)
    new = [export for export in exports if export.id not in before]
    return {"files": len(new), "lines": sum(len(export.lines) for export in new)}
