"""casework.text: the one cleaning of outside text, and the one guard of exported text cells."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from casework.text import clean, clean_or_none, spreadsheet_safe

CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"] + ["\x7f", "\ud800", "\udfff", "\ufffe", "\uffff"]


def test_clean_removes_nul_and_control_characters_but_keeps_tab_and_newline():
    assert clean("a\x00b\x01c\x1bd\x7fe") == "abcde"
    assert clean("第一行\n第二行\t完") == "第一行\n第二行\t完"


def test_clean_turns_carriage_returns_into_newlines():
    assert clean("a\r\nb\rc") == "a\nb\nc"


def test_clean_removes_lone_surrogates_that_utf8_cannot_encode():
    assert clean("x\ud83dy") == "xy"
    clean("x\ud83dy").encode("utf-8")


def test_clean_or_none_passes_what_is_not_text():
    assert clean_or_none(None) is None
    assert clean_or_none(12) == 12
    assert clean_or_none("a\x00") == "a"


@given(st.text())
def test_cleaned_text_is_storable_and_clean_is_idempotent(value):
    cleaned = clean(value)
    cleaned.encode("utf-8")  # no lone surrogate left
    assert not any(c in cleaned for c in CONTROLS)
    assert clean(cleaned) == cleaned


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs"))))
def test_clean_leaves_text_without_controls_unchanged(value):
    assert clean(value) == value


@given(st.text(), st.sampled_from(["=", "+", "-", "@", "\t", "\r"]))
def test_a_cell_starting_like_a_formula_gets_an_apostrophe(tail, start):
    assert spreadsheet_safe(start + tail) == "'" + start + tail


@given(st.text())
def test_a_safe_cell_never_starts_like_a_formula_and_keeps_its_text(value):
    safe = spreadsheet_safe(value)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe.removeprefix("'") == value or safe == value


def test_non_text_cells_pass_unchanged():
    assert spreadsheet_safe(-3) == -3
    assert spreadsheet_safe(None) is None


def test_full_width_equals_is_not_a_formula_start():
    # Excel does not evaluate a cell that starts with U+FF1D; the text stays as the platform wrote it.
    assert spreadsheet_safe("＝1+1") == "＝1+1"
    assert unicodedata.normalize("NFKC", "＝") == "="


def test_clean_removes_the_two_noncharacters_xml_does_not_allow():
    # XLSX and DOCX are XML: a U+FFFF in a category or a name would make the file unwritable or damaged.
    assert clean("道\ufffe路\uffff") == "道路"
