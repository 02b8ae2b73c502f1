"""Listing tables: activities, organizations, places and districts, organizer-side revisions and photos, error reports."""
