"""parse_activity_query: every parameter, every bad input gives QueryError (never another exception)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from gis.distance import BBox
from webapp.search.activity_query import ActivityQuery, QueryError, parse_activity_query


def test_empty_arguments_give_the_default_query() -> None:
    assert parse_activity_query(MultiDict()) == ActivityQuery()


def test_every_parameter() -> None:
    args = MultiDict(
        [
            ("q", " さろん "),
            ("lat", "34.69"),
            ("lon", "135.70"),
            ("radius", "1500"),
            ("bbox", "135.6,34.6,135.8,34.8"),
            ("category", "salon"),
            ("category", "exercise,salon"),
            ("audience", "elderly"),
            ("day", "tue"),
            ("open_now", "1"),
            ("free", "true"),
            ("district", "ikoma"),
            ("first_timers", "1"),
            ("accessibility", "wheelchair"),
            ("page", "2"),
            ("per_page", "50"),
        ]
    )
    q = parse_activity_query(args)
    assert q.q == "さろん"
    assert (q.lat, q.lon, q.radius_m) == (34.69, 135.70, 1500)
    assert q.bbox == BBox(135.6, 34.6, 135.8, 34.8)
    assert q.categories == ("salon", "exercise")
    assert q.audiences == ("elderly",)
    assert q.day == 1
    assert q.open_now and q.free
    assert q.district == "ikoma"
    assert q.flags == ("first_timers",)
    assert q.accessibility == ("wheelchair",)
    assert (q.page, q.per_page, q.offset) == (2, 50, 50)


def test_plain_mapping_of_lists_is_accepted() -> None:
    # Relative to today: day only takes dates from a year ago to two years ahead.
    soon = date.today() + timedelta(days=7)
    q = parse_activity_query({"day": [soon.isoformat()], "category": ["salon", "parenting"]})
    assert q.day == soon
    assert q.categories == ("salon", "parenting")


@pytest.mark.parametrize(("value", "expected"), [("mon", 0), ("Sunday", 6), ("土", 5), ("WED", 2)])
def test_day_names(value: str, expected: int) -> None:
    assert parse_activity_query({"day": [value]}).day == expected


@pytest.mark.parametrize(
    ("args", "field", "code"),
    [
        ({"lat": ["abc"], "lon": ["135"]}, "lat", "not_a_number"),
        ({"lat": ["nan"], "lon": ["135"]}, "lat", "out_of_range"),
        ({"lat": ["91"], "lon": ["135"]}, "lat", "out_of_range"),
        ({"lat": ["34"]}, "lon", "missing"),
        ({"lat": ["34"], "lon": ["135"], "radius": ["-1"]}, "radius", "out_of_range"),
        ({"lat": ["34"], "lon": ["135"], "radius": ["50001"]}, "radius", "out_of_range"),
        ({"radius": ["abc"]}, "radius", "not_a_number"),
        ({"bbox": ["135.8,34.6,135.7,34.7"]}, "bbox", "bad_bbox"),
        ({"bbox": ["34.6,135.6,34.8,135.8"]}, "bbox", "bad_bbox"),
        ({"bbox": ["1,2,3"]}, "bbox", "bad_bbox"),
        ({"bbox": ["a,b,c,d"]}, "bbox", "bad_bbox"),
        ({"per_page": ["10000"]}, "per_page", "out_of_range"),
        ({"per_page": ["0"]}, "per_page", "out_of_range"),
        ({"page": ["-1"]}, "page", "not_an_integer"),
        ({"page": ["1.5"]}, "page", "not_an_integer"),
        ({"category": ["nope"]}, "category", "unknown_code"),
        ({"audience": ["aliens"]}, "audience", "unknown_code"),
        ({"accessibility": ["teleport"]}, "accessibility", "unknown_code"),
        ({"day": ["funday"]}, "day", "bad_day"),
        ({"day": ["2026-02-30"]}, "day", "bad_day"),
        ({"open_now": ["maybe"]}, "open_now", "not_a_flag"),
        ({"q": ["あ" * 10_000]}, "q", "too_long"),
        ({"q": ["a", "b"]}, "q", "repeated"),
        ({"district": ["x\x00y"]}, "district", "bad_district"),
    ],
)
def test_bad_input_raises_query_error(args: dict[str, list[str]], field: str, code: str) -> None:
    with pytest.raises(QueryError) as info:
        parse_activity_query(args)
    assert info.value.field == field
    assert info.value.code == code
    assert info.value.message
    assert info.value.to_json() == {"error": {"code": code, "field": field, "message": info.value.message}}


def test_radius_is_rounded_up_to_a_whole_metre() -> None:
    assert parse_activity_query({"lat": ["34"], "lon": ["135"], "radius": ["1999.2"]}).radius_m == 2000
