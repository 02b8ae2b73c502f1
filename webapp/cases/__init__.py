"""Cases (参加支援): persons, consents, meetings, placements, follow-ups, suggestions, the board."""
