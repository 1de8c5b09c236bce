"""Tests for schulhof.accounts.passwords (pure, no database)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from types import ModuleType, SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils.functional import Promise

from schulhof.accounts import passwords
from schulhof.accounts.passwords import (
    PASSWORD_TIP,
    SchulhofPasswordValidator,
    character_classes,
    check_password,
    common_passwords,
    dictionary_check_enabled,
    password_problems,
    required_length,
    strength_hint,
    user_names,
)

if not settings.configured:
    settings.configure(USE_I18N=False)

# Passwords that pass every check, one per length-table row (exact minimum).
GOOD_PASSWORDS = [
    "8391027465019283",  # digits only, 16
    "kwpzmrtlbvx",  # lower only, 11
    "KWPZMRTLBVX",  # upper only, 11
    "Kwpzmrtlbv",  # two classes, 10
    "Kwpzmrt5b",  # three classes, 9
    "Kw!zmrt5",  # four classes, 8
    "MSLfjMu7UmdR!",  # the example from PASSWORD_TIP
]


def codes(password: str, *, names: Sequence[str] = (), dictionary_check: bool = True) -> list[str]:
    problems = password_problems(password, names=names, dictionary_check=dictionary_check)
    return [problem.code for problem in problems]


# --------------------------------------------------------------------------
# Length table
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("", 0),
        ("123", 1),
        ("abc", 1),
        ("ABC", 1),
        ("!?", 1),
        ("äöü", 1),
        ("a1", 2),
        ("aB", 2),
        ("a b", 2),
        ("aB1", 3),
        ("aBé", 3),
        ("aB1!", 4),
        ("aB1€", 4),
        ("٣aB", 3),  # non-ASCII digit counts as "other"
    ],
)
def test_character_classes(password: str, classes: int) -> None:
    assert character_classes(password) == classes


@pytest.mark.parametrize(
    ("password", "required"),
    [
        ("", 16),
        ("1", 16),
        ("12345", 16),
        ("a", 11),
        ("abc", 11),
        ("ABC", 11),
        ("!!!", 11),
        ("a1", 10),
        ("aB", 10),
        ("aB1", 9),
        ("aB1!", 8),
    ],
)
def test_required_length(password: str, required: int) -> None:
    assert required_length(password) == required


@pytest.mark.parametrize(
    ("too_short", "long_enough"),
    [
        ("839102746501928", "8391027465019283"),  # digits: 15 vs 16
        ("kwpzmrtlbv", "kwpzmrtlbvx"),  # lower: 10 vs 11
        ("KWPZMRTLBV", "KWPZMRTLBVX"),  # upper: 10 vs 11
        ("!?%&/()=#*", "!?%&/()=#*+"),  # others: 10 vs 11
        ("kwpzmrt5b", "kwpzmrt5bx"),  # two classes: 9 vs 10
        ("Kwpzmrtlb", "Kwpzmrtlbv"),  # two classes: 9 vs 10
        ("Kwpzmr5b", "Kwpzmrt5b"),  # three classes: 8 vs 9
        ("Kw!zmr5", "Kw!zmrt5"),  # four classes: 7 vs 8
    ],
)
def test_length_table_boundaries(too_short: str, long_enough: str) -> None:
    for dictionary_check in (True, False):
        assert codes(too_short, dictionary_check=dictionary_check) == ["password_too_short"]
        assert check_password(long_enough, dictionary_check=dictionary_check) == []


def test_length_message_is_actionable() -> None:
    [message] = check_password("Kwpzmrt", dictionary_check=False)
    assert message.startswith(
        "Das Passwort ist zu kurz: mit 2 Zeichenarten braucht es mindestens 10 Zeichen (es hat 7)."
    )
    assert "weitere Zeichenarten" in message


def test_length_message_singular_class() -> None:
    [message] = check_password("kwpzm", dictionary_check=False)
    assert "mit 1 Zeichenart braucht es mindestens 11 Zeichen (es hat 5)." in message


def test_length_message_four_classes() -> None:
    [message] = check_password("Kw!z5", dictionary_check=False)
    assert "mit 4 Zeichenarten braucht es mindestens 8 Zeichen (es hat 5)." in message
    assert "verlängern" in message


def test_length_message_digits_only() -> None:
    [message] = check_password("83910274650", dictionary_check=False)
    assert "nur aus Ziffern" in message
    assert "mindestens 16 Zeichen (es hat 11)" in message


def test_empty_password() -> None:
    assert check_password("", dictionary_check=True) == ["Bitte geben Sie ein Passwort ein."]
    assert check_password("", dictionary_check=False) == ["Bitte geben Sie ein Passwort ein."]


@pytest.mark.parametrize("password", GOOD_PASSWORDS)
def test_good_passwords_pass_everything(password: str) -> None:
    assert check_password(password, names=["anna.meier", "Anna", "Meier"]) == []


# --------------------------------------------------------------------------
# Dictionary switch
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "passwort",
        "Passwort123!",
        "aaaaaaaaaaaa",
        "Abcd1234!xyz",
        "qwertz123456",
        "Anna!Meier7x",
    ],
)
def test_dictionary_check_off_skips_patterns(password: str) -> None:
    strict = codes(password, dictionary_check=True, names=["Anna Meier"])
    assert set(strict) - {"password_too_short"}
    lenient = codes(password, dictionary_check=False, names=["Anna Meier"])
    assert set(lenient) <= {"password_too_short"}


@pytest.mark.parametrize("password", ["passwort", "hallo", "1234", "qwertz", "aaaa"])
def test_dictionary_check_off_still_enforces_length(password: str) -> None:
    assert codes(password, dictionary_check=False) == ["password_too_short"]


# --------------------------------------------------------------------------
# Common passwords
# --------------------------------------------------------------------------


def test_common_password_lists_are_loaded() -> None:
    common = common_passwords()
    assert "password" in common  # Django's list
    for word in (
        "passwort",
        "hallo123",
        "schalke04",
        "fussball",
        "ichliebedich",
        "schatz",
    ):
        assert word in common
    assert 180 <= len(passwords._read_word_list(passwords.GERMAN_PASSWORD_LIST)) <= 400


@pytest.mark.parametrize(
    "password",
    [
        "ichliebedich",
        "IchLiebeDich",
        "Schalke04",
        "fussball",
        "Fußball",
        "passwort123",
        "hallo123",
        "qwertzuiop",
        "password1",
    ],
)
def test_common_passwords_rejected(password: str) -> None:
    assert "password_too_common" in codes(password)


@pytest.mark.parametrize(
    "password",
    [
        "Passwort2024!",  # trailing digits and symbol
        "!!Passwort!!",  # leading and trailing symbols
        "P4ssw0rt!",  # leetspeak
        "p@$$w0rt#2",  # leetspeak with @ and $
        "H4ll0!!!",
        "Fussball1904?",
        "Sch4tz!2023",
        "L1ebl1ng!!",  # 1 → i
        "Eng3l123!",
        "Kl4v13r!99",  # 1 → i and 3 → e: klavier
    ],
)
def test_common_password_variants_rejected(password: str) -> None:
    problems = codes(password)
    assert "password_common_variant" in problems
    assert "password_too_common" not in problems


def test_common_variant_message() -> None:
    messages = check_password("Passwort2024!")
    assert any("Abwandlung eines sehr häufigen Passworts" in message for message in messages)


def test_short_common_word_with_long_random_tail_is_fine() -> None:
    # "love" is common, but it is only a small part of a long password.
    assert check_password("love!8472910365#") == []


# --------------------------------------------------------------------------
# Patterns
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Xaaaa7!kqz", True),
        ("Kw!zmrt5____", True),
        ("ZZZZ9x!kwpm", True),
        ("Kaaa7!kqzw", False),  # three in a row is fine
    ],
)
def test_repeated_characters(password: str, expected: bool) -> None:
    assert ("password_repeated" in codes(password)) is expected


def test_repeated_characters_message() -> None:
    messages = check_password("Xaaaa7!kqz")
    assert any("gleiche Zeichen hintereinander" in message for message in messages)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("aXaYaZaWaVaQa", True),  # seven of thirteen
        ("a1a2a3a4a5a6a", True),
        ("aXaYaZaWaVa!", False),  # exactly half is still fine
    ],
)
def test_mostly_one_character(password: str, expected: bool) -> None:
    assert ("password_mostly_one_char" in codes(password)) is expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Kw!zKw!zKw!z", True),
        ("hallohallohallo", True),
        ("x7Qx7Qx7Qx7Q", True),
        ("Kw!zKw!zKw!y", False),
    ],
)
def test_repeated_block(password: str, expected: bool) -> None:
    assert ("password_repeated_block" in codes(password)) is expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Tr!abcd7Kx", True),
        ("Tr!ABCD7Kx", True),
        ("Tr!dcba7Kx", True),
        ("Tr!1234xKz", True),
        ("Tr!4321xKz", True),
        ("Tr!6789xKz", True),
        ("Tr!mnop7Kx", True),
        ("Tr!abc7Kxz", False),  # three is fine
        ("Tr!123xKzw", False),
        ("Tr!abce7Kx", False),
        ("Tr!1357xKz", False),
    ],
)
def test_sequential_runs(password: str, expected: bool) -> None:
    assert ("password_sequence" in codes(password)) is expected


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Tr!qwer7Kx", True),
        ("Tr!qwertzK7", True),
        ("Tr!trewq7K", True),  # reversed
        ("Tr!asdf7Kx", True),
        ("Tr!ghjk7Kx", True),
        ("Tr!lkjh7Kx", True),
        ("Tr!yxcv7Kx", True),
        ("Tr!bnm,7Kx", True),
        ("Tr!7890xKz", True),  # digit row, not an arithmetic sequence
        ("Tr!0987xKz", True),
        ("Tr!1qay7Kx", True),  # keyboard column
        ("Tr!qwerty7K", True),  # US layout
        ("Tr!zxcv7Kx", True),
        ("Tr!qwe7Kxm", False),  # three is fine
        ("Tr!qwrt7Kx", False),
    ],
)
def test_keyboard_runs(password: str, expected: bool) -> None:
    assert ("password_keyboard" in codes(password)) is expected


def test_number_row_reported_once() -> None:
    problems = codes("Kw!z1234567890")
    assert "password_sequence" in problems
    assert "password_keyboard" not in problems


# --------------------------------------------------------------------------
# Own names
# --------------------------------------------------------------------------

NAME_MESSAGE = (
    "Das Passwort enthält Ihren Namen. Bitte wählen Sie etwas, das nichts mit Ihnen zu tun hat."
)


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Tr!Anna7Kxz", ["Anna"]),
        ("Tr!ANNA7Kxz", ["anna"]),
        ("Kx7!meier#Q", ["Meier"]),
        ("Kx7!Müller#Q", ["Müller"]),
        ("Kx7!Mueller#Q", ["Müller"]),  # transliterated
        ("Kx7!Muller#Q", ["Müller"]),  # marks dropped
        ("Kx7!Müller#Q", ["Mueller"]),  # umlaut in the password, ae form in the name
        ("Kx7!Mu3ll3r#Q", ["Müller"]),  # leetspeak
        ("Kx7!lüdenscheidt", ["Müller-Lüdenscheidt"]),  # part of a double name
        ("Kx7!lena#Qw", ["Anna Lena"]),  # second given name
        ("Kx7!meier#Qw", ["anna.meier2"]),  # username, digits ignored
        ("Kx7!giorgos#Q", ["Γιώργος"]),  # transliterated Greek
        ("Kx7!Ayşe#Qw", ["Ayşe"]),
        ("Kx7!ayse#Qw", ["Ayşe"]),
    ],
)
def test_names_rejected(password: str, names: list[str]) -> None:
    assert NAME_MESSAGE in check_password(password, names=names)


@pytest.mark.parametrize(
    ("password", "names"),
    [
        ("Kx7!Lizz#Qwm", ["Li"]),  # parts shorter than three are ignored
        ("Kx7!Bo#Qwmzp", ["Bo Li"]),
        ("Kx7!zmrt#Qw", ["Anna", "Meier"]),
        ("Kx7!zmrt#Qw", []),
        ("Kx7!zmrt#Qw", ["", "   "]),
    ],
)
def test_names_not_rejected(password: str, names: list[str]) -> None:
    assert "password_contains_name" not in codes(password, names=names)


def test_names_accepts_single_string() -> None:
    assert "password_contains_name" in codes("Kx7!meier#Q", names="Anna Meier")


def test_names_check_needs_dictionary_check() -> None:
    assert check_password("Kx7!meier#Q", names=["Meier"], dictionary_check=False) == []


# --------------------------------------------------------------------------
# Strength hint
# --------------------------------------------------------------------------


def test_strength_hint_ok() -> None:
    hint = strength_hint("MSLfjMu7UmdR!", dictionary_check=True)
    assert hint == {
        "ok": True,
        "required_length": 8,
        "length": 13,
        "classes": 4,
        "messages": [],
    }


def test_strength_hint_problems() -> None:
    hint = strength_hint("anna123", names=["Anna"], dictionary_check=True)
    assert hint["ok"] is False
    assert hint["required_length"] == 10
    assert hint["length"] == 7
    assert hint["classes"] == 2
    assert hint["messages"][0].startswith("Das Passwort ist zu kurz")
    assert NAME_MESSAGE in hint["messages"]
    assert all(isinstance(message, str) for message in hint["messages"])


def test_strength_hint_uses_school_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "dictionary_check_enabled", lambda: False)
    assert strength_hint("qwertz12345")["ok"] is True
    monkeypatch.setattr(passwords, "dictionary_check_enabled", lambda: True)
    assert strength_hint("qwertz12345")["ok"] is False


# --------------------------------------------------------------------------
# Django validator
# --------------------------------------------------------------------------


def test_validator_accepts_good_password() -> None:
    validator = SchulhofPasswordValidator(dictionary_check=True)
    validator.validate("MSLfjMu7UmdR!")


def test_validator_raises_all_messages_with_codes() -> None:
    user = SimpleNamespace(username="jan.kowal", first_name="Jan", last_name="Kowal")
    validator = SchulhofPasswordValidator(dictionary_check=True)
    with pytest.raises(ValidationError) as excinfo:
        validator.validate("kowal5678", user=user)
    error_codes = [error.code for error in excinfo.value.error_list]
    assert error_codes == [
        "password_too_short",
        "password_sequence",
        "password_contains_name",
    ]
    assert NAME_MESSAGE in excinfo.value.messages


def test_validator_without_user() -> None:
    validator = SchulhofPasswordValidator(dictionary_check=True)
    validator.validate("Kx7!meier#Q", user=None)
    validator.validate("Kx7!meier#Q")


def test_validator_with_incomplete_user() -> None:
    validator = SchulhofPasswordValidator(dictionary_check=True)
    with pytest.raises(ValidationError):
        validator.validate("Kx7!meier#Q", user=SimpleNamespace(last_name="Meier"))
    validator.validate("Kx7!meier#Q", user=object())


def test_validator_dictionary_check_off_still_enforces_length() -> None:
    validator = SchulhofPasswordValidator(dictionary_check=False)
    validator.validate("qwertz12345")
    with pytest.raises(ValidationError) as excinfo:
        validator.validate("qwertz123")
    assert [error.code for error in excinfo.value.error_list] == ["password_too_short"]


def test_validator_default_asks_school_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    validator = SchulhofPasswordValidator()
    monkeypatch.setattr(passwords, "dictionary_check_enabled", lambda: False)
    validator.validate("qwertz12345")
    monkeypatch.setattr(passwords, "dictionary_check_enabled", lambda: True)
    with pytest.raises(ValidationError):
        validator.validate("qwertz12345")


def test_validator_help_text() -> None:
    strict = SchulhofPasswordValidator(dictionary_check=True).get_help_text()
    lenient = SchulhofPasswordValidator(dictionary_check=False).get_help_text()
    for text in (strict, lenient):
        assert "16" in text
        assert "8" in text
        assert str(PASSWORD_TIP) in text
    assert "Häufige Passwörter" in strict
    assert "Häufige Passwörter" not in lenient


def test_password_tip_is_lazy() -> None:
    assert isinstance(PASSWORD_TIP, Promise)
    assert "MSLfjMu7UmdR!" in str(PASSWORD_TIP)


def _fake_models(get: Callable[[], object]) -> ModuleType:
    module = ModuleType("schulhof.core.models")
    module.SchoolSettings = SimpleNamespace(get=get)  # type: ignore[attr-defined]
    return module


def test_dictionary_check_enabled_reads_school_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for value in (True, False):
        settings_row = SimpleNamespace(strict_password_check=value)
        fake = _fake_models(_returning(settings_row))
        monkeypatch.setitem(sys.modules, "schulhof.core.models", fake)
        assert dictionary_check_enabled() is value


def _returning(value: object) -> Callable[[], object]:
    return lambda: value


def _raise_database_error() -> object:
    raise DatabaseError("no such table")


@pytest.mark.parametrize(
    "module",
    [
        None,  # the module cannot be imported
        ModuleType("schulhof.core.models"),  # no SchoolSettings model yet
        _fake_models(_raise_database_error),  # database not ready
        _fake_models(lambda: SimpleNamespace()),  # no strict_password_check field
    ],
)
def test_dictionary_check_enabled_falls_back_to_true(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType | None
) -> None:
    monkeypatch.setitem(sys.modules, "schulhof.core.models", module)
    assert dictionary_check_enabled() is True


def test_user_names() -> None:
    assert user_names(None) == []
    assert user_names(object()) == []
    user = SimpleNamespace(username="anna.meier", first_name="Anna", last_name="", email="x@y")
    assert user_names(user) == ["anna.meier", "Anna"]
