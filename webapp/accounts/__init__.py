"""Accounts: users, offices, sessions, passwords, TOTP, throttling, sign-up, mail tokens."""
