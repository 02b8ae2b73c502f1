"""Writing test shapefiles whose files the test opens and closes itself.

pyshp 3.1.9's Writer, given a path, opens the .dbf twice and leaves one handle open (a
ResourceWarning, an error here) and the header of the one it closes disagrees with the file's
size. Given file objects, every pyshp release writes a correct shapefile, so the tests do not
depend on which release the lock names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import shapefile


@contextmanager
def shapefile_writer(base: Path, **kwargs: Any) -> Iterator[shapefile.Writer]:
    """`shapefile.Writer` over base.shp/.shx/.dbf opened here; all three are closed on exit."""
    with ExitStack() as files:
        shp, shx, dbf = (files.enter_context(base.with_suffix(ext).open("wb")) for ext in (".shp", ".shx", ".dbf"))
        with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, **kwargs) as writer:
            yield writer
