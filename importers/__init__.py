"""File → validated activity records + a row report.  Pure: no Flask, no database.

    result = READERS["municipal-csv"].read(path, mapping=load_mapping(map_path), geocoder=geocoder)
    result.records, result.issues, result.rejected_rows

The DB upsert lives in webapp.imports.service.
"""

from importers.build import former_ids, stable_id
from importers.columns import MappingError, load_mapping
from importers.geojson import read_geojson, write_geojson
from importers.hsds import read_hsds, write_hsds
from importers.issues import CODES
from importers.kml import read_kml
from importers.municipal_csv import read_municipal_csv, write_municipal_csv
from importers.records import ActivityRecord, Reader, ReadResult, RowIssue, UnreadableFile
from importers.registry import READERS
from importers.xlsx import read_xlsx

__all__ = [
    "CODES",
    "READERS",
    "ActivityRecord",
    "MappingError",
    "ReadResult",
    "Reader",
    "RowIssue",
    "UnreadableFile",
    "former_ids",
    "load_mapping",
    "read_geojson",
    "read_hsds",
    "read_kml",
    "read_municipal_csv",
    "read_xlsx",
    "stable_id",
    "write_geojson",
    "write_hsds",
    "write_municipal_csv",
]
