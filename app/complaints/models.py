"""The complaint and protection-request tables live in app.tips.followup_models (the staff
record lists a tip's complaints, and tips sit below this package); re-exported here."""

from app.tips.followup_models import Complaint, ProtectionRequest, ProtectionStatus

__all__ = ["Complaint", "ProtectionRequest", "ProtectionStatus"]
