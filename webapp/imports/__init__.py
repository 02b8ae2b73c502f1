"""Imports and exports of listings: file formats, loader, report, the admin import pages."""
