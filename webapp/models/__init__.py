"""All models, imported here so metadata is complete for migrations and create_all."""

from webapp.models import organizer  # noqa: F401  (organizer-side tables: memberships, revisions, photos, mail)
from webapp.models.activity import STATUSES, Activity
from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.case import Person  # noqa: F401  (staff case records register with the metadata)
from webapp.models.organization import ORGANIZATION_KINDS, Organization
from webapp.models.place import District, Place
from webapp.models.report import REPORT_STATUSES, ErrorReport
from webapp.models.security import LoginAttempt, PasswordResetToken, RecoveryCode, TotpCredential, UserSession  # noqa: F401
from webapp.models.user import ROLES, Office, RoleMembership, User

__all__ = [
    "ORGANIZATION_KINDS",
    "REPORT_STATUSES",
    "ROLES",
    "STATUSES",
    "Activity",
    "AuditEvent",
    "Base",
    "District",
    "ErrorReport",
    "Office",
    "Organization",
    "Place",
    "RoleMembership",
    "User",
]
