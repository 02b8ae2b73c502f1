"""Japanese text helpers: the one normaliser (:mod:`jatext.normalize`) and readings (:mod:`jatext.reading`)."""

from jatext.normalize import clean, fold, kanji_numerals_to_digits, normalize_phone, normalize_postcode

__all__ = [
    "clean",
    "fold",
    "kanji_numerals_to_digits",
    "normalize_phone",
    "normalize_postcode",
]
