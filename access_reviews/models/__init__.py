"""Models of the access-review app, split by concept (registry, campaigns, training/imports,
confidentiality agreements)."""

from access_reviews.models.campaigns import (
    Campaign,
    CampaignReviewer,
    CampaignStatus,
    ClosedVia,
    Decision,
    DeprovisionTask,
    ReviewRow,
    SignOff,
    TaskReason,
)
from access_reviews.models.confidentiality import ConfidentialityAgreement
from access_reviews.models.registry import (
    AccessRequest,
    Account,
    FlagFields,
    Mfa,
    Person,
    PersonKind,
    PersonStatus,
    RequestStatus,
    System,
)
from access_reviews.models.training import ImportJob, ImportKind, ImportStatus, TrainingRecord

__all__ = [
    "AccessRequest",
    "Account",
    "Campaign",
    "CampaignReviewer",
    "CampaignStatus",
    "ClosedVia",
    "ConfidentialityAgreement",
    "Decision",
    "DeprovisionTask",
    "FlagFields",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "Mfa",
    "Person",
    "PersonKind",
    "PersonStatus",
    "RequestStatus",
    "ReviewRow",
    "SignOff",
    "System",
    "TaskReason",
    "TrainingRecord",
]
