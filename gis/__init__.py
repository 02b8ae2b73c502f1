"""Pure GIS helpers for odekake: distances and boxes, coordinate checks, the 位置参照情報
geocoder, district polygons and walking-distance coverage. No Flask, no database session.
"""

from gis.coords import (
    JAPAN_BOUNDS,
    CoordCheck,
    check_point,
    in_japan,
    jgd2011_to_tokyo,
    parse_coordinate,
    tokyo_to_jgd2011,
)
from gis.coverage import CoverageRow, coverage, uncovered_geometry
from gis.distance import (
    BBox,
    MetresPerDegree,
    PlanarCoefficients,
    bbox_around,
    geodesic_m,
    haversine_m,
    metres_per_degree,
    planar_coefficients,
    planar_distance_m,
)
from gis.districts import District, DistrictIndex, read_districts, read_geojson, read_shapefile
from gis.geocoder import Geocoder, GeocodeResult, NormalizedAddress, normalize_address

__all__ = [
    "JAPAN_BOUNDS",
    "BBox",
    "CoordCheck",
    "CoverageRow",
    "District",
    "DistrictIndex",
    "GeocodeResult",
    "Geocoder",
    "MetresPerDegree",
    "NormalizedAddress",
    "PlanarCoefficients",
    "bbox_around",
    "check_point",
    "coverage",
    "geodesic_m",
    "haversine_m",
    "in_japan",
    "jgd2011_to_tokyo",
    "metres_per_degree",
    "normalize_address",
    "parse_coordinate",
    "planar_coefficients",
    "planar_distance_m",
    "read_districts",
    "read_geojson",
    "read_shapefile",
    "tokyo_to_jgd2011",
    "uncovered_geometry",
]
