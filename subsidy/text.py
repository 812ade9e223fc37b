"""Text normalisation shared by the reader and the engine."""
from __future__ import annotations

import re
import unicodedata

#: white space of every kind (ideographic included) and the invisible format characters (zero-width space,
#: joiners, word joiner, BOM) that make two equal-looking names differ
_WS = re.compile(r"[\s\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")
_NUM = re.compile(r"(\d+)")


def norm_subject(s: str | None) -> str:
    """Subjects are compared after NFKC, trimming and removing all white space (SPEC 2.1)."""
    if not s:
        return ""
    return _WS.sub("", unicodedata.normalize("NFKC", str(s)))


def norm_label(s: object) -> str:
    """Category labels, enumerations and headers: NFKC and trimmed, inner spaces removed."""
    if s is None:
        return ""
    return _WS.sub("", unicodedata.normalize("NFKC", str(s)))


def natural_key(s: str) -> tuple:
    """'A-9' sorts before 'A-10': digits compare as numbers."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _NUM.split(s) if p != "")
