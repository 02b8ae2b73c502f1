"""What the HSDS 3 schema requires of the objects our export writes (a checker for tests).

Facts taken from openreferral/specification schema/*.json (required fields, number-typed fields,
enumerations); written here as a small checker so the tests run without network or jsonschema.
"""

from __future__ import annotations

from typing import Any

# From the HSDS 3 schema (openreferral/specification, schema/*.json): required fields, typed
# fields and enumerations of the objects our export writes.  Typed fields are never null.
_HSDS_REQUIRED = {
    "service": ("id", "name", "status"), "organization": ("id", "name", "description"),
    "location": ("id", "location_type"),
    "address": ("id", "address_1", "city", "state_province", "postal_code", "country", "address_type"),
    "service_at_location": ("id",), "schedule": ("id",), "phone": ("id", "number"), "cost_option": ("id",),
    "attribute": ("id",), "taxonomy_term": ("id", "name", "description"),
}
_HSDS_NUMBERS = {"latitude", "longitude", "amount", "extension", "interval", "count", "timezone"}
_HSDS_ENUMS = {
    "status": {"active", "inactive", "defunct", "temporarily closed"}, "location_type": {"physical", "postal", "virtual"},
    "address_type": {"physical", "postal", "virtual"}, "freq": {"WEEKLY", "MONTHLY"},
    "wkst": {"MO", "TU", "WE", "TH", "FR", "SA", "SU"},
}
_HSDS_CHILDREN = {
    "organization": "organization", "phones": "phone", "schedules": "schedule", "cost_options": "cost_option",
    "attributes": "attribute", "taxonomy_term": "taxonomy_term", "service_at_locations": "service_at_location",
    "location": "location", "addresses": "address",
}


def hsds_problems(obj: dict[str, Any], kind: str = "service", where: str = "") -> list[str]:
    out = [f"{where}{kind}: {f} missing" for f in _HSDS_REQUIRED[kind] if f not in obj]
    for key, value in obj.items():
        here = f"{where}{kind}.{key}"
        if key == "x_odekake":
            continue
        if value is None:
            out.append(f"{here} is null")
        elif key in _HSDS_NUMBERS and (isinstance(value, bool) or not isinstance(value, int | float)):
            out.append(f"{here} is not a number: {value!r}")
        elif key in _HSDS_ENUMS and value not in _HSDS_ENUMS[key]:
            out.append(f"{here} = {value!r} not allowed")
        elif key in _HSDS_CHILDREN:
            for child in value if isinstance(value, list) else [value]:
                out.extend(hsds_problems(child, _HSDS_CHILDREN[key], f"{here}/"))
        elif key not in _HSDS_NUMBERS and isinstance(value, int | float) and key != "capacity":
            out.append(f"{here} is a number where HSDS has a string: {value!r}")
    return out
