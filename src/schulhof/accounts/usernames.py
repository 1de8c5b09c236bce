"""Derive login names (``vorname.nachname``) from people's real names.

This module is pure Python: it touches neither the database nor Django
settings at import time, so it can be used (and tested) anywhere.

The rule
========

A username is ``vorname.nachname`` in lower-case ASCII.  Only the letters
``a``-``z``, the hyphen and the single dot between given and family name
survive.

* German letters: ``ä ö ü`` become ``ae oe ue`` (upper case as well), ``ß``
  and ``ẞ`` become ``ss``.  The umlaut rule applies to every name, whatever
  its language, so ``Gökhan`` becomes ``goekhan`` exactly like ``Müller``
  becomes ``mueller``.
* Other letters without a decomposition: ``æ → ae``, ``ø → oe``,
  ``å → aa``, ``œ → oe``, ``ł → l``, ``đ → d``, ``ð → d``, ``þ → th``,
  ``ı → i`` (plus a few rarer ones such as ``ħ → h``, ``ŋ → ng``, ``ə → a``).
* Every other letter is reduced to its base letter with Unicode NFKD and by
  dropping the combining marks (``é → e``, ``ş → s``, ``ğ → g``, ``ễ → e``,
  ``ç → c``, ``ñ → n``, ``İ → i``).  Letters that have no Latin base letter
  (Arabic, Hebrew, CJK, ...) are dropped; such names need a manual username.
* Greek follows ELOT 743 (type 2, the transcription used in Greek passports):
  ``η → i``, ``υ → y``, ``ω → o``, ``θ → th``, ``χ → ch``, ``ψ → ps``,
  ``ξ → x``, ``β → v``, ``φ → f``, final ``ς → s``; digraphs ``ου → ou``,
  ``γγ → ng``, ``γκ → gk``, ``γξ → nx``, ``γχ → nch``; ``μπ → b`` at the
  start of a word and ``mp`` elsewhere; ``ντ → nt`` everywhere (as in the
  standard and in passports: ``Ντίνος → ntinos``); ``αυ/ευ/ηυ → av/ev/iv``
  before vowels and voiced consonants, ``af/ef/if`` before the voiceless
  consonants ``θ κ ξ π σ τ φ χ ψ`` and at the end of a word.  A diaeresis on
  ``υ`` (``ϋ``) or an accent on the first vowel splits the digraph.  All
  accents and breathings are dropped.  Example: ``Γιώργος Παπαδόπουλος →
  giorgos.papadopoulos``, ``Ευάγγελος → evangelos``.
* Cyrillic follows the German (Duden-style) transcription that German
  school administration software commonly uses, reduced to plain ASCII.  We
  chose it over the scientific ISO 9 transliteration because ISO 9 needs
  diacritics (``ž``, ``š``) that would collapse to ambiguous letters in
  ASCII, and because the German forms match how the names are spelled in
  German documents (``Schewtschenko``, ``Gorbatschow``)::

      а a   б b   в w   г g   д d   е e   ё jo  ж sch  з s   и i   й i
      к k   л l   м m   н n   о o   п p   р r   с s    т t   у u   ф f
      х ch  ц z   ч tsch  ш sch  щ schtsch  ъ -  ы y   ь -   э e   ю ju  я ja

  Ukrainian: ``і → i``, ``ї → ji``, ``є → je``, ``ґ → g``; Belarusian
  ``ў → u``; Serbian/Macedonian ``ђ → dj``, ``ј → j``, ``љ → lj``,
  ``њ → nj``, ``ћ → c``, ``џ → dz``, ``ѓ → g``, ``ќ → k``, ``ѕ → dz``; the
  commonest Kazakh/Azerbaijani letters map to their base letter.  Two Duden
  refinements are applied: ``ё`` after ``ж ч ш щ`` is ``o``
  (``Горбачёв → gorbatschow``), and a word-final ``ий``/``ый`` is ``i``/``y``
  (``Достоевский → dostoewski``).  There is deliberately no language
  detection: a letter is transcribed the same way in Russian and Ukrainian
  names (``г`` is always ``g``, ``и`` always ``i``), so the result is
  predictable.  Example: ``Александр Шевченко → aleksandr.schewtschenko``.
* White space at either end (including no-break spaces U+00A0, U+202F,
  U+2007) is dropped.  White space inside a name becomes ``-``; dashes
  (``-``, ``‐``, ``‑``, ``–``, ``—``) are kept as ``-``; runs of ``-``
  collapse into one and ``-`` at either end is removed.
* Apostrophes (``' ’ ʼ ` ´``) and every other punctuation character vanish,
  including dots inside a name; digits vanish too.
* All given names are kept, joined with ``-`` (``Anna Lena → anna-lena``).
  A name particle from a separate field goes in front of the family name,
  joined with ``-`` (``van der`` + ``Meer → van-der-meer``).

If the wanted name is already taken (by a live account or by a name that was
ever issued before), :func:`first_free_username` appends ``2``, ``3``, ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from django.utils.translation import gettext as _

__all__ = [
    "MAX_RECOMMENDED_LENGTH",
    "first_free_username",
    "transliterate",
    "username_base",
]

#: IServ warns about usernames longer than this many characters.
MAX_RECOMMENDED_LENGTH = 20

#: How many numbered variants :func:`first_free_username` tries at most.
MAX_SUFFIX = 10000

# Characters that are kept as a hyphen (hyphen-minus, hyphen, non-breaking
# hyphen, figure dash, en dash, em dash, minus sign).
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")

# Latin letters that need a special rule, in lower case.  The umlauts must be
# handled before NFKD decomposition (which would turn them into a + mark).
_LATIN_SPECIAL: dict[str, str] = {
    "ä": "ae",
    "ö": "oe",
    "ü": "ue",
    "ß": "ss",
    "æ": "ae",
    "ø": "oe",
    "å": "aa",
    "œ": "oe",
    "ł": "l",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "ħ": "h",
    "ŧ": "t",
    "ŋ": "ng",
    "ĸ": "k",
    "ə": "a",
    "ɛ": "e",
    "ɔ": "o",
    "ƒ": "f",
}

_CYRILLIC: dict[str, str] = {
    "а": "a",
    "б": "b",
    "в": "w",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "jo",
    "ж": "sch",
    "з": "s",
    "и": "i",
    "й": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "ju",
    "я": "ja",
    # Ukrainian
    "і": "i",
    "ї": "ji",
    "є": "je",
    "ґ": "g",
    # Belarusian
    "ў": "u",
    # Serbian and Macedonian
    "ђ": "dj",
    "ј": "j",
    "љ": "lj",
    "њ": "nj",
    "ћ": "c",
    "џ": "dz",
    "ѓ": "g",
    "ќ": "k",
    "ѕ": "dz",
    # Kazakh, Azerbaijani and other Cyrillic alphabets (common letters only)
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
}

_CYRILLIC_SIBILANTS = frozenset("жчшщ")

_GREEK: dict[str, str] = {
    "α": "a",
    "β": "v",
    "γ": "g",
    "δ": "d",
    "ε": "e",
    "ζ": "z",
    "η": "i",
    "θ": "th",
    "ι": "i",
    "κ": "k",
    "λ": "l",
    "μ": "m",
    "ν": "n",
    "ξ": "x",
    "ο": "o",
    "π": "p",
    "ρ": "r",
    "σ": "s",
    "ς": "s",
    "τ": "t",
    "υ": "y",
    "φ": "f",
    "χ": "ch",
    "ψ": "ps",
    "ω": "o",
    # Symbol variants of letters
    "ϐ": "v",
    "ϑ": "th",
    "ϕ": "f",
    "ϖ": "p",
    "ϰ": "k",
    "ϱ": "r",
    "ϲ": "s",
}

# Before these, αυ/ευ/ηυ are pronounced (and written) af/ef/if.
_GREEK_VOICELESS = frozenset("θκξπσςτφχψ")
_GREEK_U_DIGRAPH_FIRST = {"α": "a", "ε": "e", "η": "i"}
_GREEK_AFTER_GAMMA = {"γ": "ng", "κ": "gk", "ξ": "nx", "χ": "nch"}

_COMBINING_DIAERESIS = "\u0308"
_MULTIPLE_HYPHENS = re.compile(r"-{2,}")


class _GreekLetter:
    """A Greek base letter with the marks that matter for ELOT 743."""

    __slots__ = ("accented", "base", "diaeresis")

    def __init__(self, base: str) -> None:
        self.base = base
        self.accented = False
        self.diaeresis = False


def _base_letter(char: str) -> str:
    """Return the first code point of the canonical decomposition of *char*."""
    return unicodedata.normalize("NFD", char)[0]


def _is_greek(char: str) -> bool:
    return _base_letter(char) in _GREEK


def _is_cyrillic(char: str) -> bool:
    return char in _CYRILLIC


def _greek_word(word: str) -> str:
    """Transcribe one lower-case Greek word (letters and marks) by ELOT 743."""
    letters: list[_GreekLetter] = []
    for char in unicodedata.normalize("NFD", word):
        if char in _GREEK:
            letters.append(_GreekLetter(char))
        elif letters and unicodedata.combining(char):
            if char == _COMBINING_DIAERESIS:
                letters[-1].diaeresis = True
            else:
                letters[-1].accented = True

    out: list[str] = []
    count = len(letters)
    i = 0
    while i < count:
        letter = letters[i].base
        following = letters[i + 1] if i + 1 < count else None

        if (
            following is not None
            and following.base == "υ"
            and not following.diaeresis
            and not letters[i].accented
        ):
            if letter in _GREEK_U_DIGRAPH_FIRST:
                after = letters[i + 2].base if i + 2 < count else None
                voiceless = after is None or after in _GREEK_VOICELESS
                out.append(_GREEK_U_DIGRAPH_FIRST[letter] + ("f" if voiceless else "v"))
                i += 2
                continue
            if letter == "ο":
                out.append("ou")
                i += 2
                continue

        if following is not None:
            if letter == "μ" and following.base == "π":
                out.append("b" if i == 0 else "mp")
                i += 2
                continue
            if letter == "γ" and following.base in _GREEK_AFTER_GAMMA:
                out.append(_GREEK_AFTER_GAMMA[following.base])
                i += 2
                continue

        out.append(_GREEK[letter])
        i += 1
    return "".join(out)


def _cyrillic_word(word: str) -> str:
    """Transcribe one lower-case Cyrillic word (German, Duden-style)."""
    # Stress marks and other combining marks that NFC could not compose.
    word = "".join(char for char in word if not unicodedata.combining(char))
    if len(word) >= 2 and word.endswith(("ий", "ый")):
        return _cyrillic_word(word[:-2]) + ("i" if word[-2] == "и" else "y")
    out: list[str] = []
    previous = ""
    for char in word:
        if char == "ё" and previous in _CYRILLIC_SIBILANTS:
            out.append("o")
        else:
            out.append(_CYRILLIC[char])
        previous = char
    return "".join(out)


def _latin_char(char: str) -> str:
    """Reduce one (lower-case) non-Greek, non-Cyrillic character to a-z."""
    if char in _LATIN_SPECIAL:
        return _LATIN_SPECIAL[char]
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", char).lower():
        if "a" <= part <= "z":
            out.append(part)
        elif part in _LATIN_SPECIAL:
            out.append(_LATIN_SPECIAL[part])
    return "".join(out)


def _take_run(text: str, start: int, predicate: Callable[[str], bool]) -> int:
    """Return the end of the run of characters (and combining marks) from *start*."""
    end = start
    while end < len(text) and (
        predicate(text[end]) or (end > start and unicodedata.combining(text[end]))
    ):
        end += 1
    return end


def transliterate(text: str) -> str:
    """Turn one name (or name part) into lower-case ASCII.

    The result contains only ``a``-``z`` and single hyphens, never a hyphen
    at either end; it may be empty if *text* holds no usable letter.  See the
    module docstring for the exact rules.
    """
    text = unicodedata.normalize("NFC", text).lower()
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace() or char in _HYPHENS:
            out.append("-")
        elif _is_greek(char):
            end = _take_run(text, i, _is_greek)
            out.append(_greek_word(text[i:end]))
            i = end
            continue
        elif _is_cyrillic(char):
            end = _take_run(text, i, _is_cyrillic)
            out.append(_cyrillic_word(text[i:end]))
            i = end
            continue
        else:
            out.append(_latin_char(char))
        i += 1
    return _MULTIPLE_HYPHENS.sub("-", "".join(out)).strip("-")


def username_base(given_names: str, family_name: str, particle: str = "") -> str:
    """Return the wanted username ``vorname.nachname`` for a person.

    All given names are kept (joined with ``-``); a name *particle* from a
    separate field (``von``, ``van der``) is put in front of the family name.

    Raises :class:`ValueError` with a German message if the given or family
    name contains no usable letter.
    """
    given = transliterate(given_names)
    if not given:
        raise ValueError(
            _(
                "Aus dem Vornamen „%(name)s“ lässt sich kein Benutzername bilden, "
                "weil er keine verwertbaren Buchstaben enthält. Bitte vergeben Sie "
                "den Benutzernamen von Hand."
            )
            % {"name": given_names.strip()}
        )
    family = transliterate(family_name)
    if not family:
        raise ValueError(
            _(
                "Aus dem Nachnamen „%(name)s“ lässt sich kein Benutzername bilden, "
                "weil er keine verwertbaren Buchstaben enthält. Bitte vergeben Sie "
                "den Benutzernamen von Hand."
            )
            % {"name": family_name.strip()}
        )
    prefix = transliterate(particle)
    if prefix and family != prefix and not family.startswith(prefix + "-"):
        family = f"{prefix}-{family}"
    return f"{given}.{family}"


def first_free_username(base: str, is_taken: Callable[[str], bool]) -> str:
    """Return *base* if it is free, else the first free ``base2``, ``base3``, ...

    *is_taken* is called with each candidate; the caller decides what
    "taken" means (live accounts and every name ever issued).  Raises
    :class:`ValueError` if *base* is empty or no free variant is found
    within :data:`MAX_SUFFIX` attempts.
    """
    if not base:
        raise ValueError(_("Ein leerer Benutzername kann nicht vergeben werden."))
    if not is_taken(base):
        return base
    for number in range(2, MAX_SUFFIX + 1):
        candidate = f"{base}{number}"
        if not is_taken(candidate):
            return candidate
    raise ValueError(
        _(
            "Für „%(base)s“ ist kein freier Benutzername mehr zu finden. "
            "Bitte vergeben Sie den Benutzernamen von Hand."
        )
        % {"base": base}
    )
