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
    if s.__class__ is str and s.isascii():  # NFKC leaves ASCII as it is, and its only white space is str.split's
        return "".join(s.split())
    s = str(s)
    if not unicodedata.is_normalized("NFKC", s):
        s = unicodedata.normalize("NFKC", s)
    # every character _WS removes is a separator or a control or format character, none of them printable save the
    # ASCII space: a printable text without a space has nothing to remove (the common case: 项目12号楼)
    return s if s.isprintable() and " " not in s else _WS.sub("", s)


def norm_label(s: object) -> str:
    """Category labels, enumerations and headers: NFKC and trimmed, inner spaces removed."""
    if s is None:
        return ""
    return _WS.sub("", unicodedata.normalize("NFKC", str(s)))


def natural_key(s: str) -> tuple:
    """'A-9' sorts before 'A-10': digits compare as numbers.

    The key alternates text and number ('A-10' → ('A-', 10, '')): splitting on runs of digits always gives text at
    the even places (empty when the id starts or ends with digits) and digits at the odd ones, so two keys compare
    text with text and number with number, and a run of digits sorts before text at the same place."""
    parts: list = _NUM.split(s)
    parts[1::2] = map(int, parts[1::2])
    return tuple(parts)
