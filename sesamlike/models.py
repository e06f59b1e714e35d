"""Import every area's models so metadata, Alembic and create_all see all tables."""

from sesamlike.accounts.models import ApiToken, AuditEvent, Clinic, User  # noqa: F401
from sesamlike.api.fhir.models import BulkExport  # noqa: F401
from sesamlike.catalog.models import Article, System  # noqa: F401
from sesamlike.channels.models import (  # noqa: F401
    PharmacyDispensing,
    PharmacyPrescription,
    SupplierExport,
    SupplierExportLine,
)
from sesamlike.common.models import JobLock, JobRun, OutgoingMail  # noqa: F401
from sesamlike.followup.models import FollowupRun, PatientYearCost  # noqa: F401
from sesamlike.orders.models import Order, OrderLine, Shipment  # noqa: F401
from sesamlike.patients.models import (  # noqa: F401
    Address,
    CareRelationship,
    Guardian,
    Patient,
    ReminderPreference,
)
from sesamlike.portal.models import ResupplyCycle  # noqa: F401
from sesamlike.prescriptions.models import Prescription  # noqa: F401
from sesamlike.stock.models import (  # noqa: F401
    Depot,
    Device,
    LotExpiryFlag,
    PurchaseProposal,
    ReorderPoint,
    Reservation,
    StockLot,
    StockMovement,
)
