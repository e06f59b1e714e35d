"""Import every area's models so metadata, Alembic and create_all see all tables."""

from sesamlike.accounts.mail import OutgoingMail  # noqa: F401
from sesamlike.accounts.models import ApiToken, AuditEvent, Clinic, User  # noqa: F401
from sesamlike.catalog.models import Article, System  # noqa: F401
from sesamlike.followup.models import FollowupRun, PatientYearCost  # noqa: F401
from sesamlike.jobruns import JobLock, JobRun  # noqa: F401
from sesamlike.orders.channels_models import (  # noqa: F401
    PharmacyDispensing,
    PharmacyPrescription,
    SupplierExport,
    SupplierExportLine,
)
from sesamlike.orders.models import (  # noqa: F401
    Order,
    OrderLine,
    Prescription,
    Shipment,
)
from sesamlike.patients.models import (  # noqa: F401
    Address,
    CareRelationship,
    Guardian,
    Patient,
)
from sesamlike.stock.expiry import LotExpiryFlag  # noqa: F401
from sesamlike.stock.models import (  # noqa: F401
    Depot,
    Device,
    Reservation,
    StockLot,
    StockMovement,
)
from sesamlike.stock.replenishment import PurchaseProposal, ReorderPoint  # noqa: F401
