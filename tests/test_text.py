"""SPEC 2.1: subjects are compared after NFKC, trimming and removing all white space (subsidy.text.norm_subject).
An ASCII subject skips NFKC (which leaves ASCII as it is): the shortcut must give what the full rule gives."""
import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from subsidy.text import norm_subject

_FULL_WS = re.compile(r"[\s\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")


def _full_rule(s: str) -> str:
    return _FULL_WS.sub("", unicodedata.normalize("NFKC", s))


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_an_ascii_subject_is_normalised_as_the_full_rule_does(s):
    assert norm_subject(s) == _full_rule(s)


@given(st.text())
def test_any_subject_is_normalised_as_the_full_rule_does(s):
    assert norm_subject(s) == _full_rule(s)


def test_ascii_white_space_of_every_kind_goes_and_full_width_letters_fold():
    assert norm_subject(" D2360\t001\x1c\n") == "D2360001"
    assert norm_subject("Ｄ２３６０ ００１") == "D2360001"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_a_subject_of_any_characters_that_needs_no_change_is_kept_as_the_full_rule_keeps_it(s):
    """The shortcut for printable texts without a space: every character _WS removes must be unprintable or the
    ASCII space (checked over the whole of Unicode below), and NFKC can bring a space in (¨ → space + ̈)."""
    assert norm_subject(s) == _full_rule(s)


def test_every_character_the_rule_removes_is_unprintable_or_the_ascii_space():
    removed = [chr(c) for c in range(0x110000) if _FULL_WS.fullmatch(chr(c))]
    assert removed and all(ch == " " or not ch.isprintable() for ch in removed)


def test_a_compatibility_character_that_becomes_a_space_is_removed_after_nfkc():
    assert unicodedata.normalize("NFKC", "項目¨") == "項目 \u0308" and norm_subject("項目¨") == "項目\u0308"
