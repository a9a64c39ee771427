"""Strings from a scenario, made safe: for display, and as identifiers.

Two rules, and every string a scenario holds falls under one of them:

- **Identifiers** (services, responders, levels, SLOs, releases, signatures, ticket ids:
  what reaches addressing, command-line arguments and file names) hold letters, digits
  and ``- _ . :`` only, start with a letter or a digit, are at most
  :data:`MAX_IDENTIFIER` characters, are already in Unicode's compatibility form (NFKC:
  no full-width or ligature look-alikes), and do not mix scripts the way look-alikes do
  (``\\u0430pi``, an ``api`` whose ``a`` is Cyrillic, is refused; ``api``, ``支払い``, ``payments-決済`` are
  fine: Unicode TR 39's "highly restrictive" level). :func:`identifier_problem` says what
  is wrong with one.
- **Display texts** (runbook step names, reporters, ticket texts, notes, the drill's
  name) may hold any printable text. Whatever shows them passes them through
  :func:`printable`, which shows control characters, bidirectional overrides and other
  invisible characters escaped (``\\x1b``, ``\\u202e``), so that a scenario cannot move
  the cursor, set a window title, write the clipboard or forge a line of the report.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["IDENTIFIER_HINT", "MAX_IDENTIFIER", "identifier_problem", "printable"]

#: The longest identifier.
MAX_IDENTIFIER = 128
IDENTIFIER_HINT = "letters, digits and - _ . : starting with a letter or digit"
_PUNCTUATION = frozenset("-_.:")
# Scripts that may share one identifier (TR 39, highly restrictive): Latin alone or with
# the scripts written beside it in Japanese, Korean and Chinese text.
_TOGETHER = (
    frozenset({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "CJK", "HANGUL"}),
    frozenset({"LATIN", "CJK", "BOPOMOFO"}),
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """*text* with every non-printable character (controls, format characters such as
    bidi overrides and zero-width joiners, separators other than space, unassigned code
    points) shown as its escape: safe to print on a terminal or into a file."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@lru_cache(maxsize=4096)
def identifier_problem(name: str) -> str | None:  # noqa: PLR0911 - one return per rule
    """What makes *name* unfit as an identifier (one phrase), or None when it is fine."""
    if not name:
        return "is empty (give a name)"
    if len(name) > MAX_IDENTIFIER:
        return f"is {len(name)} characters long (at most {MAX_IDENTIFIER})"
    shown = repr(name) if len(name) <= 40 else repr(name[:37]) + "..."
    for ch in name:
        if not (ch.isalpha() or "0" <= ch <= "9" or ch in _PUNCTUATION):
            return f"{shown}: {ch!r} is not allowed in a name ({IDENTIFIER_HINT})"
    if not (name[0].isalpha() or name[0].isdigit()):
        return f"{shown} must start with a letter or a digit ({IDENTIFIER_HINT})"
    if unicodedata.normalize("NFKC", name) != name:
        return f"{shown} holds compatibility characters (write {unicodedata.normalize('NFKC', name)!r})"
    scripts = {_script(ch) for ch in name if ch.isalpha()}
    if len(scripts) > 1 and not any(scripts <= group for group in _TOGETHER):
        names = ", ".join(sorted(s.title() for s in scripts))
        return f"{shown} mixes scripts ({names}): look-alike letters; write it in one script"
    return None


def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name (``LATIN SMALL LETTER A`` -> LATIN)."""
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
