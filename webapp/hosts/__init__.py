"""Hosts (受け入れ先): the host register, 受け入れ先支援 notes, contact history and the 開拓 pipeline."""
