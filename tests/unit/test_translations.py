"""Every message in code and templates has an English translation (ja is the source language)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _i18n():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("odekake_i18n", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_english_catalog_is_complete(tmp_path: Path) -> None:
    i18n = _i18n()
    pot = i18n.extract(tmp_path / "messages.pot")
    assert i18n.untranslated(pot) == []
