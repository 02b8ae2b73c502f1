from webapp.security.permissions import ROLE_PERMISSIONS, has_permission, public, require

__all__ = ["ROLE_PERMISSIONS", "has_permission", "public", "require"]
