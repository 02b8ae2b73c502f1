"""参加の相談: a resident's own request for support sent from the public site, and the staff list."""
