"""Every domain's models, imported so that Base.metadata is complete (Alembic, tests)."""

from app.accounts import models as accounts_models
from app.admin_units import models as admin_units_models
from app.audit import models as audit_models
from app.complaints import models as complaints_models
from app.core.db import Base
from app.integration import models as integration_models
from app.media import models as media_models
from app.notifications import models as notifications_models
from app.privacy import models as privacy_models
from app.tips import models as tips_models
from app.triage import models as triage_models
from app.triage import reads as triage_reads
from app.units import models as units_models

__all__ = [
    "Base",
    "accounts_models",
    "admin_units_models",
    "audit_models",
    "complaints_models",
    "integration_models",
    "media_models",
    "notifications_models",
    "privacy_models",
    "tips_models",
    "triage_models",
    "triage_reads",
    "units_models",
]
