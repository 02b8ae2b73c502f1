"""Listings: organizations, places, activities; organizer pages, moderation, photos, geocoding, freshness."""
