"""gis.cluster: grid cells per zoom (counts add up, extents hold their points, stable cells) and
the zoom Leaflet's fitBounds would choose."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from gis.cluster import CELL_PX, fit_zoom, grid_cells, mercator_px


def _points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rnd = np.random.default_rng(seed)
    lat = 34.65 + rnd.random(n) * 0.1
    lon = 135.65 + rnd.random(n) * 0.1
    cat = rnd.integers(0, 12, n)
    return lat, lon, cat


@pytest.mark.parametrize("seed", range(8))
def test_counts_add_up_and_every_point_is_inside_its_cells_extent(seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.randrange(1, 5000)
    zoom = rnd.randrange(0, 19)
    lat, lon, cat = _points(n, seed)
    cells = grid_cells(lat, lon, zoom, cat)
    assert int(cells.count.sum()) == n
    assert (cells.count >= 1).all()
    assert (cells.minlat <= cells.lat + 1e-12).all() and (cells.lat <= cells.maxlat + 1e-12).all()
    assert (cells.minlon <= cells.lon + 1e-12).all() and (cells.lon <= cells.maxlon + 1e-12).all()
    # the member named for each cell lies in that cell's extent
    m = cells.member
    assert ((cells.minlat <= lat[m]) & (lat[m] <= cells.maxlat) & (cells.minlon <= lon[m]) & (lon[m] <= cells.maxlon)).all()
    # no two cells share a grid square at this zoom
    x, y = mercator_px(lat[m], lon[m], zoom)
    squares = set(zip((x // CELL_PX).astype(int).tolist(), (y // CELL_PX).astype(int).tolist(), strict=True))
    assert len(squares) == len(cells)


@pytest.mark.parametrize("seed", range(6))
def test_merged_cells_still_add_up_and_hold_their_points(seed: int) -> None:
    rnd = random.Random(seed)
    lat, lon, cat = _points(rnd.randrange(2, 4000), seed)
    zoom = rnd.randrange(8, 18)
    plain = grid_cells(lat, lon, zoom, cat)
    merged = grid_cells(lat, lon, zoom, cat, merge_px=44)
    assert int(merged.count.sum()) == len(lat) and len(merged) <= len(plain)
    m = merged.member
    assert ((merged.minlat <= lat[m]) & (lat[m] <= merged.maxlat) & (merged.minlon <= lon[m]) & (lon[m] <= merged.maxlon)).all()
    assert merged.count.max() >= plain.count.max()


def test_points_either_side_of_a_grid_line_make_one_bubble() -> None:
    # Two pairs 10 px apart across a cell border: two cells on the grid, one bubble once merged;
    # a pair far away stays on its own.
    zoom = 15
    x, _y = mercator_px(34.70, 135.70, zoom)
    border = (x // CELL_PX + 1) * CELL_PX
    world = 256 * 2**zoom
    lon = [(b / world) * 360 - 180 for b in (border - 5, border - 4, border + 5, border + 6, border + 400, border + 401)]
    lat = [34.70] * 6
    assert len(grid_cells(lat, lon, zoom)) == 3
    merged = grid_cells(lat, lon, zoom, merge_px=44)
    assert sorted(merged.count.tolist()) == [2, 4]


def test_top_category_is_the_most_frequent_one() -> None:
    lat = np.array([34.70, 34.70001, 34.70002, 34.70003])
    lon = np.array([135.70, 135.70001, 135.70002, 135.70003])
    cells = grid_cells(lat, lon, 12, np.array([3, 5, 5, 1]))
    assert cells.count.tolist() == [4] and cells.category.tolist() == [5]
    assert grid_cells(lat, lon, 12).category.tolist() == [-1]


def test_cells_are_the_same_whatever_else_is_asked() -> None:
    # Anchored to the world's grid: a subset of points keeps its cells (a panned map's clusters
    # do not jump), and one zoom further in a cell splits into at most four.
    lat, lon, _ = _points(2000, 1)
    whole = grid_cells(lat, lon, 13)
    west = lon < 135.70
    part = grid_cells(lat[west], lon[west], 13)
    x, y = mercator_px(lat, lon, 13)
    cell_of = {(int(a // CELL_PX), int(b // CELL_PX)) for a, b in zip(x[west], y[west], strict=True)}
    assert len(part) == len(cell_of) <= len(whole)
    finer = grid_cells(lat, lon, 14)
    assert len(whole) <= len(finer) <= 4 * len(whole)


def test_more_zoom_more_cells_and_one_point_per_cell_at_street_level() -> None:
    lat, lon, _ = _points(300, 2)
    sizes = [len(grid_cells(lat, lon, z)) for z in (8, 11, 14, 20)]
    # zoom 8: the city is one or a few cells (the grid is the world's, so a line may cross it)
    assert sizes == sorted(sizes) and sizes[0] <= 4 and sizes[-1] == 300


def test_empty_and_bad_input() -> None:
    assert len(grid_cells(np.empty(0), np.empty(0), 10)) == 0
    with pytest.raises(ValueError, match="zoom"):
        grid_cells(np.array([34.7]), np.array([135.7]), 23)
    with pytest.raises(ValueError, match="coordinates"):
        grid_cells(np.array([math.nan]), np.array([135.7]), 10)


def test_fit_zoom_matches_leaflet() -> None:
    # The sample city (≈ 9 × 13 km) in a 1280 × 800 map: Leaflet's fitBounds(pad(0.1)) gives 12;
    # in a 390 × 500 phone map, 11.
    city = (135.65, 34.63, 135.75, 34.75)
    assert fit_zoom(city, 1280, 800) == 12
    assert fit_zoom(city, 390, 500) == 11
    assert fit_zoom((135.7, 34.7, 135.7, 34.7), 1280, 800) == 16  # one place: the closest zoom allowed
    assert fit_zoom((120.0, 24.0, 146.0, 46.0), 1280, 800, min_zoom=8) == 8
