"""The one geocoder of the project, loaded once per process: instance/geocoder/*.csv if imported,
else the shipped サンプル table. Organizers' addresses, imports and the residents' 「近くで探す」 all
use `get_geocoder(settings)`.

`odekake import-geocoder PATH` copies a real 位置参照情報 file (CSV, or the ZIP as downloaded from
国土交通省) into instance/geocoder/. A town typed without its city is read as in `city_name`.
"""

from __future__ import annotations

import shutil
import threading
import zipfile
from pathlib import Path

from gis.geocoder import Geocoder, GeocodeResult
from webapp.config import PROJECT_ROOT, Settings
from webapp.service_error import ServiceError

SAMPLE_DIR = PROJECT_ROOT / "data" / "sample" / "geocoder"
_lock = threading.Lock()
_cache: dict[tuple[Path, str], Geocoder] = {}


def geocoder_dir(settings: Settings) -> Path:
    return settings.instance_dir / "geocoder"


def table_files(settings: Settings) -> list[Path]:
    imported = sorted(geocoder_dir(settings).glob("*.csv"))
    return imported or sorted(SAMPLE_DIR.glob("*.csv"))


def get_geocoder(settings: Settings) -> Geocoder:
    key = (geocoder_dir(settings), settings.city_name)
    with _lock:
        if key not in _cache:
            _cache[key] = Geocoder.from_files(table_files(settings), default_city=settings.city_name)
        return _cache[key]


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def geocode(settings: Settings, address: str) -> GeocodeResult | None:
    address = (address or "").strip()
    if not address or len(address) > 300:
        return None
    return get_geocoder(settings).geocode(address)


def import_table(settings: Settings, source: Path) -> tuple[list[Path], int]:
    """Check and copy a 位置参照情報 CSV (or the CSVs inside a ZIP) into instance/geocoder/.

    Returns the files written and the number of rows read. Nothing is copied unless every file parses.
    """
    if not source.exists():
        raise ServiceError("not_found", f"{source}: no such file", "path")
    target = geocoder_dir(settings)
    staging = target.with_name("geocoder.incoming")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as archive:
                for info in archive.infolist():
                    name = Path(info.filename).name
                    if info.is_dir() or not name.lower().endswith(".csv"):
                        continue
                    with archive.open(info) as src, (staging / name).open("wb") as dst:
                        shutil.copyfileobj(src, dst)
        elif source.is_dir():
            for path in source.glob("*.csv"):
                shutil.copyfile(path, staging / path.name)
        else:
            shutil.copyfile(source, staging / source.name)
        files = sorted(staging.glob("*.csv"))
        if not files:
            raise ServiceError("no_csv", f"{source}: no CSV file found", "path")
        try:
            checked = Geocoder.from_files(files)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ServiceError("bad_file", str(exc), "path") from None
        if len(checked) == 0:
            raise ServiceError("empty", f"{source}: no usable rows", "path")
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for path in files:
            dest = target / path.name
            path.replace(dest)
            written.append(dest)
        clear_cache()
        return written, checked.rows_read
    finally:
        shutil.rmtree(staging, ignore_errors=True)
