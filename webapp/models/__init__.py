"""All models, imported here so metadata is complete for migrations and create_all."""

from webapp.models.activity import STATUSES, Activity
from webapp.models.audit import AuditEvent
from webapp.models.base import Base
from webapp.models.organization import ORGANIZATION_KINDS, Organization
from webapp.models.place import District, Place
from webapp.models.user import ROLES, Office, RoleMembership, User

__all__ = [
    "ORGANIZATION_KINDS",
    "ROLES",
    "STATUSES",
    "Activity",
    "AuditEvent",
    "Base",
    "District",
    "Office",
    "Organization",
    "Place",
    "RoleMembership",
    "User",
]
