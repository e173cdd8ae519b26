"""Text from outside (the platform, inbox files, forms, query strings), made storable and safe to export.

`clean` is the one cleaning every such value gets before it is stored or compared: the databases refuse
some characters (PostgreSQL stores no NUL; no UTF-8 store takes a lone surrogate), and the other control
characters are invisible noise that breaks CSV, XML (XLSX, DOCX) and searches. Tab and newline are text;
a carriage return becomes a newline.

`spreadsheet_safe` is the one guard of every text cell an export writes from data: a spreadsheet reads
a cell that starts with = + - @ (or a tab or CR before them) as a formula (OWASP, "CSV injection").
"""

import re
import unicodedata

# C0 controls but tab (09) and newline (0A); DEL; lone surrogates, which no UTF-8 encoder accepts; U+FFFE and
# U+FFFF, which XML (so XLSX and DOCX) does not allow.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SPACES = re.compile(r"\s+")
_BLANKS = re.compile(r"\s\s|[^\S ]")  # two blanks in a row, or a tab, newline …


def clean(value: str) -> str:
    """`value` without the characters no store or export should carry; CR LF and lone CR become LF."""
    if value.isprintable():  # the usual case: no control character at all, nothing to copy
        return value
    return _UNSTORABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_or_none(value):
    """`clean` for a value that may be None or not text (numbers, dates pass unchanged)."""
    return clean(value) if isinstance(value, str) else value


def fold(value) -> str:
    """A short field (an order number, a name, a village) as it is compared and stored: cleaned, NFKC
    (full-width to half-width), trimmed, runs of blanks made one space."""
    if value is None:
        return ""
    text = clean(str(value))
    if not unicodedata.is_normalized("NFKC", text):  # most fields already are: skip the copy
        text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text).strip() if _BLANKS.search(text) else text.strip()


def spreadsheet_safe(value):
    """A text cell that no spreadsheet will read as a formula: one that starts with = + - @, a tab or
    a CR gets a leading apostrophe (shown as text, the value itself unchanged). Non-text passes."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
