"""Translation workflow: `extract` (update the en catalog from code/templates), `compile`, `check`.

ja is the source language (msgids are Japanese); en is the first translation.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
POT = ROOT / "translations" / "messages.pot"
BIN = Path(sys.executable).parent


def pybabel(*args: str) -> None:
    subprocess.run([str(BIN / "pybabel"), *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def extract(pot: Path = POT) -> Path:
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "ngettext:1,2",
            "--no-location", "--sort-output", "-o", str(pot), ".")
    return pot


def untranslated(pot: Path, locale: str = "en") -> list[str]:
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
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
    if command == "extract":
        extract()
        pybabel("update", "-i", str(POT), "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete")
    elif command == "compile":
        pybabel("compile", "-d", "translations")
    elif command == "check":
        missing = untranslated(extract())
        for msgid in missing:
            print(f"untranslated: {msgid}")
        sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
