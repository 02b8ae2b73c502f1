"""Account tables: users, offices and roles (user.py); sessions, login attempts, TOTP, reset tokens (security.py)."""
