"""Format name → reader, as used by `odekake import FORMAT PATH`."""

from __future__ import annotations

from importers.geojson import GeoJsonReader
from importers.hsds import HsdsReader
from importers.kml import KmlReader
from importers.municipal_csv import MunicipalCsvReader
from importers.records import Reader
from importers.xlsx import XlsxReader

__all__ = ["READERS"]

READERS: dict[str, Reader] = {
    "municipal-csv": MunicipalCsvReader(),
    "geojson": GeoJsonReader(),
    "kml": KmlReader(),
    "xlsx": XlsxReader(),
    "hsds": HsdsReader(),
}
