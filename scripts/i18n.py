"""Translation workflow: `compile`, `check` (lists untranslated messages), `missing` (writes them
as an empty .po to fill in).

ja is the source language (msgids are Japanese); en is the first translation. The English catalog is
kept in parts, one per area (translations/en/parts/<area>.po), so several people can translate at
once; `compile` merges the parts into LC_MESSAGES/messages.po (generated, not committed) and .mo.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
BIN = Path(sys.executable).parent


def pybabel(*args: str) -> None:
    done = subprocess.run([str(BIN / "pybabel"), *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)


def extract(pot: Path = POT) -> Path:
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
            "--no-location", "--sort-output", "-o", str(pot), ".")
    return pot


def merged_catalog(locale: str = "en") -> Catalog:
    catalog = Catalog(locale=locale, domain="messages")
    for part in sorted((ROOT / "translations" / locale / "parts").glob("*.po")):
        with open(part, "rb") as f:
            for message in read_po(f, locale=locale):
                if message.id and message.string and not message.fuzzy:
                    catalog.add(message.id, message.string)
    return catalog


def compile_catalog(locale: str = "en") -> None:
    catalog = merged_catalog(locale)
    out = ROOT / "translations" / locale / "LC_MESSAGES"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "messages.po", "wb") as f:
        write_po(f, catalog, sort_output=True, width=120)
    with open(out / "messages.mo", "wb") as f:
        write_mo(f, catalog)


def untranslated(pot: Path, locale: str = "en") -> list[str]:
    catalog = merged_catalog(locale)
    with open(pot, "rb") as f:
        template = read_po(f)
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id)
        text = found.string if found else None
        if not text or (isinstance(text, tuple) and not all(text)) or (found and found.fuzzy):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "compile":
        compile_catalog()
    elif command == "missing":
        missing = untranslated(extract())
        catalog = Catalog(locale="en")
        for msgid in missing:
            catalog.add(msgid, "")
        target = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "translations" / "missing.po"
        with open(target, "wb") as f:
            write_po(f, catalog, sort_output=True, width=120)
        print(f"{len(missing)} untranslated messages written to {target}")
    elif command == "check":
        missing = untranslated(extract())
        for msgid in missing:
            print(f"untranslated: {msgid}")
        sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
