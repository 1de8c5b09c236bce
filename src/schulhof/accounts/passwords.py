"""Password policy (modelled on IServ's rules).

Two layers:

1. **Length table** (always enforced, cannot be switched off).  The minimum
   length depends on how many character classes the password uses.  The
   classes are: ASCII digits, ASCII lower-case letters, ASCII upper-case
   letters, and everything else (punctuation, space, non-ASCII characters
   such as ``ä`` or ``€``).

   ========================================  ===============
   password uses                             minimum length
   ========================================  ===============
   digits only                               16
   one class, but not digits only            11
   two classes                               10
   three classes                             9
   all four classes                          8
   ========================================  ===============

2. **Pattern and dictionary checks** (can be switched off per school with
   ``SchoolSettings.strict_password_check``): very common passwords (Django's
   list plus a German list shipped in ``data/common_passwords_de.txt``), also
   when only decorated with leading/trailing digits or symbols or written in
   leetspeak; four or more equal characters in a row, passwords made mostly
   of one character or of one repeated block; alphabetical or numerical runs
   (``abcd``, ``4321``); runs along the German QWERTZ keyboard (``qwertz``,
   ``asdfgh``, ``yxcvbn``, ``7890``, ``1qay``); and the user's own names or
   username.

The module does not need a database or configured settings at import time.
All user-facing texts are German msgids for Django's gettext.
"""

from __future__ import annotations

import functools
import importlib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, TypedDict

from django.core.exceptions import (
    AppRegistryNotReady,
    ImproperlyConfigured,
    ObjectDoesNotExist,
    ValidationError,
)
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from schulhof.accounts.usernames import transliterate

__all__ = [
    "PASSWORD_TIP",
    "PasswordProblem",
    "SchulhofPasswordValidator",
    "StrengthHint",
    "character_classes",
    "check_password",
    "dictionary_check_enabled",
    "password_problems",
    "required_length",
    "strength_hint",
    "user_names",
]

PASSWORD_TIP = gettext_lazy(
    "Tipp: Bilden Sie einen Merksatz und nehmen Sie die ersten Buchstaben der "
    "Wörter, z. B. „Meine Schwester Lea fährt jeden Morgen um 7 Uhr mit dem "
    "Rad!“ → MSLfjMu7UmdR!"
)

#: Minimum length by number of character classes (digits-only is special).
MIN_LENGTH_DIGITS_ONLY = 16
MIN_LENGTH_BY_CLASSES: dict[int, int] = {1: 11, 2: 10, 3: 9, 4: 8}

#: A run of this many equal, consecutive or adjacent keys is rejected.
PATTERN_RUN_LENGTH = 4

#: Name parts shorter than this are not looked for in the password.
MIN_NAME_PART_LENGTH = 3

GERMAN_PASSWORD_LIST = Path(__file__).resolve().parent / "data" / "common_passwords_de.txt"

# Rows and columns of the German QWERTZ keyboard, plus the US rows that many
# people know from "qwerty".  Runs are looked for forwards and backwards.
_KEYBOARD_LINES = (
    "^1234567890ß´",
    "qwertzuiopü+",
    "asdfghjklöä#",
    "<yxcvbnm,.-",
    "qwertyuiop",
    "zxcvbnm",
    "1qay",
    "2wsx",
    "3edc",
    "4rfv",
    "5tgb",
    "6zhn",
    "7ujm",
    "8ik,",
    "9ol.",
    "0pö-",
)

_LEET_I = str.maketrans({"4": "a", "3": "e", "1": "i", "0": "o", "5": "s", "@": "a", "$": "s"})
_LEET_L = str.maketrans({"4": "a", "3": "e", "1": "l", "0": "o", "5": "s", "@": "a", "$": "s"})
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_EDGE_DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_REPEATED_CHAR = re.compile(r"(.)\1{%d,}" % (PATTERN_RUN_LENGTH - 1), re.DOTALL)
_REPEATED_BLOCK = re.compile(r"(.{2,}?)\1+", re.DOTALL)
_NAME_SEPARATORS = re.compile(r"[.\-_\s]+")


class PasswordProblem(NamedTuple):
    """One reason to reject a password: a Django error code and a message."""

    code: str
    message: str


class StrengthHint(TypedDict):
    """Result of :func:`strength_hint`, ready to be returned as JSON."""

    ok: bool
    required_length: int
    length: int
    classes: int
    messages: list[str]


# --------------------------------------------------------------------------
# Length table
# --------------------------------------------------------------------------


def _is_ascii_digit(char: str) -> bool:
    return "0" <= char <= "9"


def character_classes(password: str) -> int:
    """Count the character classes used: digits, lower, upper, others (0-4)."""
    digits = lower = upper = other = False
    for char in password:
        if _is_ascii_digit(char):
            digits = True
        elif "a" <= char <= "z":
            lower = True
        elif "A" <= char <= "Z":
            upper = True
        else:
            other = True
    return sum((digits, lower, upper, other))


def required_length(password: str) -> int:
    """Return the minimum length for a password with these character classes.

    An empty password counts as "digits only" (the strictest row).
    """
    if all(_is_ascii_digit(char) for char in password):
        return MIN_LENGTH_DIGITS_ONLY
    return MIN_LENGTH_BY_CLASSES[character_classes(password)]


def _length_problem(password: str) -> PasswordProblem | None:
    length = len(password)
    if not password:
        return PasswordProblem("password_too_short", _("Bitte geben Sie ein Passwort ein."))
    required = required_length(password)
    if length >= required:
        return None
    if all(_is_ascii_digit(char) for char in password):
        message = _(
            "Das Passwort besteht nur aus Ziffern und braucht daher mindestens "
            "%(required)d Zeichen (es hat %(length)d). Mit Buchstaben oder "
            "Sonderzeichen genügen schon 8 bis 11 Zeichen."
        ) % {"required": required, "length": length}
        return PasswordProblem("password_too_short", message)
    classes = character_classes(password)
    message = ngettext(
        "Das Passwort ist zu kurz: mit %(classes)d Zeichenart braucht es "
        "mindestens %(required)d Zeichen (es hat %(length)d).",
        "Das Passwort ist zu kurz: mit %(classes)d Zeichenarten braucht es "
        "mindestens %(required)d Zeichen (es hat %(length)d).",
        classes,
    ) % {"classes": classes, "required": required, "length": length}
    if classes < len(MIN_LENGTH_BY_CLASSES):
        advice = _(
            "Verlängern Sie es oder nehmen Sie weitere Zeichenarten dazu "
            "(Kleinbuchstaben, Großbuchstaben, Ziffern, Sonderzeichen)."
        )
    else:
        advice = _("Bitte verlängern Sie es.")
    return PasswordProblem("password_too_short", f"{message} {advice}")


# --------------------------------------------------------------------------
# Dictionary checks
# --------------------------------------------------------------------------


def _read_word_list(path: Path) -> frozenset[str]:
    words: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            word = line.strip().lower()
            if word and not word.startswith("#"):
                words.add(word)
    return frozenset(words)


@functools.cache
def common_passwords() -> frozenset[str]:
    """Return Django's list of common passwords plus the German list (cached)."""
    from django.contrib.auth.password_validation import CommonPasswordValidator

    django_list = CommonPasswordValidator().passwords
    german = _read_word_list(GERMAN_PASSWORD_LIST)
    return frozenset(django_list) | german | {word.translate(_UMLAUTS) for word in german}


def _strip_decoration(text: str) -> str:
    """Remove leading and trailing digits and symbols."""
    return _EDGE_DECORATION.sub("", text)


def _common_password_problem(password: str) -> PasswordProblem | None:
    common = common_passwords()
    lower = password.lower().strip()
    forms = {lower, lower.translate(_UMLAUTS)}
    if forms & common:
        return PasswordProblem(
            "password_too_common",
            _(
                "Dieses Passwort gehört zu den am häufigsten verwendeten Passwörtern "
                "und wird bei Angriffen als Erstes ausprobiert. Bitte wählen Sie ein "
                "anderes."
            ),
        )
    candidates: set[str] = set()
    for form in forms:
        stage = {form, _strip_decoration(form)}
        stage |= {text.translate(table) for text in stage for table in (_LEET_I, _LEET_L)}
        stage |= {_strip_decoration(text) for text in stage}
        candidates |= stage
    for candidate in candidates - forms:
        # Only flag when the common word is the bulk of the password; a short
        # word followed by many random characters is not "a variant" of it.
        if (
            len(candidate) >= PATTERN_RUN_LENGTH
            and 2 * len(candidate) >= len(password)
            and candidate in common
        ):
            return PasswordProblem(
                "password_common_variant",
                _(
                    "Das Passwort ist nur eine leichte Abwandlung eines sehr häufigen "
                    "Passworts. Angehängte Ziffern oder Zeichen und Ersetzungen wie "
                    "„4“ für „a“ oder „0“ für „o“ machen es nicht sicherer. Bitte "
                    "wählen Sie etwas ganz anderes."
                ),
            )
    return None


# --------------------------------------------------------------------------
# Pattern checks
# --------------------------------------------------------------------------


def _windows(text: str, size: int) -> Iterable[str]:
    return (text[i : i + size] for i in range(len(text) - size + 1))


def _is_sequence(window: str) -> bool:
    """True for runs like ``abcd``, ``dcba``, ``1234`` or ``4321``."""
    if not (
        all("a" <= char <= "z" for char in window) or all(_is_ascii_digit(char) for char in window)
    ):
        return False
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(window)}
    return steps in ({1}, {-1})


def _is_keyboard_run(window: str) -> bool:
    return any(window in line or window in line[::-1] for line in _KEYBOARD_LINES)


def _repetition_problems(password: str) -> list[PasswordProblem]:
    problems: list[PasswordProblem] = []
    if _REPEATED_CHAR.search(password):
        problems.append(
            PasswordProblem(
                "password_repeated",
                _(
                    "Das Passwort enthält vier oder mehr gleiche Zeichen hintereinander. "
                    "Bitte vermeiden Sie solche Wiederholungen."
                ),
            )
        )
    elif len(password) >= PATTERN_RUN_LENGTH:
        most_common = Counter(password.lower()).most_common(1)[0][1]
        if 2 * most_common > len(password):
            problems.append(
                PasswordProblem(
                    "password_mostly_one_char",
                    _(
                        "Das Passwort besteht überwiegend aus ein und demselben Zeichen. "
                        "Bitte verwenden Sie abwechslungsreichere Zeichen."
                    ),
                )
            )
    if _REPEATED_BLOCK.fullmatch(password.lower()):
        problems.append(
            PasswordProblem(
                "password_repeated_block",
                _(
                    "Das Passwort besteht nur aus einer wiederholten Zeichenfolge. "
                    "Bitte wählen Sie etwas, das sich nicht wiederholt."
                ),
            )
        )
    return problems


def _run_problems(password: str) -> list[PasswordProblem]:
    lower = password.lower()
    windows = list(_windows(lower, PATTERN_RUN_LENGTH))
    problems: list[PasswordProblem] = []
    has_sequence = any(_is_sequence(window) for window in windows)
    if has_sequence:
        problems.append(
            PasswordProblem(
                "password_sequence",
                _(
                    "Das Passwort enthält eine Zeichenreihe wie „1234“, „4321“ oder "
                    "„abcd“. Solche Reihen werden bei Angriffen zuerst ausprobiert; "
                    "bitte vermeiden Sie sie."
                ),
            )
        )
    keyboard_runs = [
        window for window in windows if _is_keyboard_run(window) and not _is_sequence(window)
    ]
    # "1234567890" is both a number sequence and the top keyboard row; one
    # message about it is enough.
    if has_sequence:
        keyboard_runs = [window for window in keyboard_runs if not window.isdigit()]
    if keyboard_runs:
        problems.append(
            PasswordProblem(
                "password_keyboard",
                _(
                    "Das Passwort enthält nebeneinanderliegende Tasten wie „qwertz“ "
                    "oder „asdf“. Solche Tastaturmuster werden bei Angriffen zuerst "
                    "ausprobiert; bitte vermeiden Sie sie."
                ),
            )
        )
    return problems


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def _without_marks(text: str) -> str:
    return "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )


def _name_forms(names: Sequence[str]) -> set[str]:
    """Lower-case forms of every name part worth looking for in a password."""
    forms: set[str] = set()
    for name in names:
        for part in _NAME_SEPARATORS.split(name.strip()):
            if len(part) < MIN_NAME_PART_LENGTH:
                continue
            lower = part.lower()
            for form in (
                lower,
                lower.translate(_UMLAUTS),
                _without_marks(lower),
                transliterate(part),
            ):
                if len(form) >= MIN_NAME_PART_LENGTH:
                    forms.add(form)
    return forms


def _name_problem(password: str, names: Sequence[str]) -> PasswordProblem | None:
    name_forms = _name_forms(names)
    if not name_forms:
        return None
    lower = password.lower()
    password_forms = {
        lower,
        lower.translate(_UMLAUTS),
        _without_marks(lower),
        lower.translate(_LEET_I),
        lower.translate(_LEET_L),
    }
    if any(name in form for name in name_forms for form in password_forms):
        return PasswordProblem(
            "password_contains_name",
            _(
                "Das Passwort enthält Ihren Namen. Bitte wählen Sie etwas, das nichts "
                "mit Ihnen zu tun hat."
            ),
        )
    return None


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def _as_sequence(names: Sequence[str] | str) -> Sequence[str]:
    if isinstance(names, str):
        return (names,)
    return [name for name in names if isinstance(name, str) and name]


def password_problems(
    password: str, *, names: Sequence[str] = (), dictionary_check: bool = True
) -> list[PasswordProblem]:
    """Like :func:`check_password`, but each message comes with an error code."""
    problems: list[PasswordProblem] = []
    length_problem = _length_problem(password)
    if length_problem is not None:
        problems.append(length_problem)
    if not password or not dictionary_check:
        return problems

    common_problem = _common_password_problem(password)
    if common_problem is not None:
        problems.append(common_problem)
    problems.extend(_repetition_problems(password))
    problems.extend(_run_problems(password))
    name_problem = _name_problem(password, _as_sequence(names))
    if name_problem is not None:
        problems.append(name_problem)
    return problems


def check_password(
    password: str, *, names: Sequence[str] = (), dictionary_check: bool = True
) -> list[str]:
    """Return German, actionable reasons against *password* (empty = fine).

    The length table is always applied.  The pattern and dictionary checks
    (common passwords, repetitions, runs, keyboard patterns, own names) only
    run if *dictionary_check* is true.  *names* are the user's names and
    username; parts of at least three characters are looked for.
    """
    return [
        problem.message
        for problem in password_problems(password, names=names, dictionary_check=dictionary_check)
    ]


def dictionary_check_enabled() -> bool:
    """Return whether the school wants the pattern and dictionary checks.

    Reads ``SchoolSettings.strict_password_check``; if the model, the app
    registry or the database is not available, the strict checks stay on.
    """
    try:
        models = importlib.import_module("schulhof.core.models")
        return bool(models.SchoolSettings.get().strict_password_check)
    except (
        ImportError,
        AttributeError,
        DatabaseError,
        ObjectDoesNotExist,
        AppRegistryNotReady,
        ImproperlyConfigured,
    ):
        return True


def user_names(user: object | None) -> list[str]:
    """Collect username, first and last name of *user* (any may be missing)."""
    if user is None:
        return []
    names: list[str] = []
    for attribute in ("username", "first_name", "last_name"):
        value = getattr(user, attribute, "")
        if isinstance(value, str) and value.strip():
            names.append(value)
    return names


def strength_hint(
    password: str, names: Sequence[str] = (), *, dictionary_check: bool | None = None
) -> StrengthHint:
    """Summarise *password* for a live hint while the user types.

    If *dictionary_check* is ``None`` the school setting decides
    (:func:`dictionary_check_enabled`).
    """
    if dictionary_check is None:
        dictionary_check = dictionary_check_enabled()
    messages = check_password(password, names=names, dictionary_check=dictionary_check)
    return {
        "ok": not messages,
        "required_length": required_length(password),
        "length": len(password),
        "classes": character_classes(password),
        "messages": messages,
    }


class SchulhofPasswordValidator:
    """Django password validator for ``AUTH_PASSWORD_VALIDATORS``.

    ``OPTIONS: {"dictionary_check": False}`` switches the pattern and
    dictionary checks off for good; the default ``None`` asks the school
    settings on every validation (:func:`dictionary_check_enabled`).
    """

    def __init__(self, dictionary_check: bool | None = None) -> None:
        self.dictionary_check = dictionary_check

    def _dictionary_check(self) -> bool:
        if self.dictionary_check is None:
            return dictionary_check_enabled()
        return self.dictionary_check

    def validate(self, password: str, user: object | None = None) -> None:
        problems = password_problems(
            password, names=user_names(user), dictionary_check=self._dictionary_check()
        )
        if problems:
            raise ValidationError(
                [ValidationError(problem.message, code=problem.code) for problem in problems]
            )

    def get_help_text(self) -> str:
        text = _(
            "Wie lang Ihr Passwort sein muss, hängt davon ab, wie viele Zeichenarten "
            "(Kleinbuchstaben, Großbuchstaben, Ziffern, Sonderzeichen) es enthält: "
            "mit allen vier mindestens 8 Zeichen, mit drei 9, mit zwei 10, mit einer "
            "11 und nur mit Ziffern 16 Zeichen."
        )
        if self._dictionary_check():
            text += " " + _(
                "Häufige Passwörter, Reihen wie „1234“ oder „qwertz“, Wiederholungen "
                "und Ihr eigener Name sind nicht erlaubt."
            )
        return f"{text} {PASSWORD_TIP}"
