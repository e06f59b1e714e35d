"""Refusals of the supplier and pharmacy channels, each with a stable code."""

from sesamlike.common.errors import Conflict, Invalid


class ExportDayInFuture(Invalid):
    code = "export_day_in_future"
    message = "Leverantörsfiler kan inte skapas för ett datum i framtiden ({day})."


class LineChangedDuringImport(Conflict):
    code = "line_changed_during_import"
    message = "Orderraden {line_id} ändrades under importen; försök igen."
