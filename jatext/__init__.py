"""Japanese text helpers: the one normaliser (:mod:`jatext.normalize`) and readings (:mod:`jatext.reading`).

Importing this package is cheap: the SudachiPy dictionary is loaded on the first reading call.
"""

from jatext.normalize import (
    clean,
    fold,
    ga_runs,
    kanji_numerals_to_digits,
    normalize_phone,
    normalize_postcode,
    unify_ke,
)
from jatext.reading import Token, reading, ruby_segments, tokens

__all__ = [
    "Token",
    "clean",
    "fold",
    "ga_runs",
    "kanji_numerals_to_digits",
    "normalize_phone",
    "normalize_postcode",
    "reading",
    "ruby_segments",
    "tokens",
    "unify_ke",
]
