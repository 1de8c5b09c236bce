"""Tests for schulhof.accounts.usernames (pure, no database)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from schulhof.accounts.usernames import (
    MAX_RECOMMENDED_LENGTH,
    MAX_SUFFIX,
    first_free_username,
    transliterate,
    username_base,
)

if not settings.configured:
    settings.configure(USE_I18N=False)

USERNAME_CHARS = re.compile(r"^[a-z-]+\.[a-z-]+$")


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        # German
        ("Jürgen", "Müller-Lüdenscheidt", "juergen.mueller-luedenscheidt"),
        ("Ännchen", "Straße", "aennchen.strasse"),
        ("ÖZLEM", "ÜBERALL", "oezlem.ueberall"),
        ("Ärmin", "GROẞ", "aermin.gross"),
        ("Max", "Mustermann", "max.mustermann"),
        # Combining umlaut (NFD input, as macOS produces it) behaves like NFC.
        ("Ju\u0308rgen", "Mu\u0308ller", "juergen.mueller"),
        # Turkish: the umlaut rule applies to every name, ş/ç/ğ/ı/İ lose marks.
        ("Şükrü", "Çelik", "suekrue.celik"),
        ("Gökhan", "Yıldız", "goekhan.yildiz"),
        ("İbrahim", "Doğan", "ibrahim.dogan"),
        ("Ayşe", "Öztürk", "ayse.oeztuerk"),
        # Polish
        ("Łukasz", "Wróbel", "lukasz.wrobel"),
        ("Małgorzata", "Bąk", "malgorzata.bak"),
        ("Żaneta", "Wiśniewska-Łęcka", "zaneta.wisniewska-lecka"),
        # Vietnamese
        ("Đức Anh", "Nguyễn", "duc-anh.nguyen"),
        ("Thị Đào", "Nguyễn", "thi-dao.nguyen"),
        ("Thanh Hương", "Trần", "thanh-huong.tran"),
        # Nordic and Icelandic
        ("Søren", "Kierkegård", "soeren.kierkegaard"),
        ("Ægir", "Þórsson", "aegir.thorsson"),
        ("Þór", "Guðmundsdóttir", "thor.gudmundsdottir"),
        ("Åsa", "Ødegård", "aasa.oedegaard"),
        # French and others with accents
        ("Zoë", "Lefèvre", "zoe.lefevre"),
        ("Chloé", "Dubois", "chloe.dubois"),
        ("François", "Mitterrand", "francois.mitterrand"),
        ("Œdipe", "Garçon", "oedipe.garcon"),
        ("José", "Muñoz", "jose.munoz"),
        ("Mehmet", "Ağaoğlu", "mehmet.agaoglu"),
        # Apostrophes vanish
        ("Sinéad", "O'Brien", "sinead.obrien"),
        ("Luca", "D’Angelo", "luca.dangelo"),
        ("Luca", "Dʼ Angelo", "luca.d-angelo"),
        ("Luca", "D`Angelo", "luca.dangelo"),
        ("Luca", "D´Angelo", "luca.dangelo"),
        # Dots and other punctuation vanish; digits vanish
        ("Anna-M.", "Schmidt", "anna-m.schmidt"),
        ("Peter (Pit)", "Meier!", "peter-pit.meier"),
        ("Karl", "Meier 2", "karl.meier"),
        # Multiple given names, multiple and exotic spaces
        ("Anna Lena", "Schmidt", "anna-lena.schmidt"),
        ("Anna   Lena", "Schmidt", "anna-lena.schmidt"),
        ("\u00a0Anna\u202fLena\u2007", "\u00a0Schmidt\u00a0", "anna-lena.schmidt"),
        ("\tAnna\nLena ", " Schmidt ", "anna-lena.schmidt"),
        ("Jean - Luc", "Picard", "jean-luc.picard"),
        ("Jean–Luc", "Picard", "jean-luc.picard"),
        ("-Jean--Luc-", "Picard", "jean-luc.picard"),
    ],
)
def test_username_base_latin(given: str, family: str, expected: str) -> None:
    result = username_base(given, family)
    assert result == expected
    assert USERNAME_CHARS.match(result)


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        ("Γιώργος", "Παπαδόπουλος", "giorgos.papadopoulos"),
        ("ΓΙΩΡΓΟΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "giorgos.papadopoulos"),
        # ου → ou, η → i, ω → o, final ς
        ("Ηλίας", "Κουρής", "ilias.kouris"),
        # χ → ch, θ → th
        ("Χρήστος", "Θεοδωρίδης", "christos.theodoridis"),
        # ψ → ps, ξ → x, υ → y
        ("Αλέξανδρος", "Ψαρράς", "alexandros.psarras"),
        ("Σπύρος", "Λύρας", "spyros.lyras"),
        # μπ → b at the start of a word, mp inside
        ("Μπάμπης", "Λαμπράκης", "bampis.lamprakis"),
        # ντ → nt (ELOT 743 keeps nt, also at the start)
        ("Ντίνος", "Κωνσταντίνου", "ntinos.konstantinou"),
        # γκ → gk, γγ → ng, γχ → nch, γξ → nx
        ("Αγγελική", "Γκίκα", "angeliki.gkika"),
        ("Άγχος", "Σφίγξ", "anchos.sfinx"),
        # αυ/ευ → av/ev before vowels and voiced consonants
        ("Ευάγγελος", "Αυγερινός", "evangelos.avgerinos"),
        ("Παύλος", "Ευγενίδης", "pavlos.evgenidis"),
        # αυ/ευ → af/ef before voiceless consonants and at the end of a word
        ("Ευτυχία", "Ναύτης", "eftychia.naftis"),
        ("Ευθύμιος", "Καψαυ", "efthymios.kapsaf"),
        # diaeresis splits digraphs
        ("Αϋλος", "Προϋπολογισμός", "aylos.proypologismos"),
        ("Ζωή", "Καραμανλή", "zoi.karamanli"),
    ],
)
def test_username_base_greek_elot_743(given: str, family: str, expected: str) -> None:
    assert username_base(given, family) == expected


@pytest.mark.parametrize(
    ("given", "family", "expected"),
    [
        # Russian
        ("Александр", "Шевченко", "aleksandr.schewtschenko"),
        ("Юлия", "Тимошенко", "julija.timoschenko"),
        ("Наталья", "Жукова", "natalja.schukowa"),
        ("Сергей", "Цветаев", "sergei.zwetaew"),
        ("Михаил", "Горбачёв", "michail.gorbatschow"),
        ("Фёдор", "Достоевский", "fjodor.dostoewski"),
        ("Никита", "Хрущёв", "nikita.chruschtschow"),
        ("Эдуард", "Быстрый", "eduard.bystry"),
        ("Пётр", "Подъячев", "pjotr.podjatschew"),
        ("Зоя", "Щукина", "soja.schtschukina"),
        ("ИВАН", "ПЕТРОВ", "iwan.petrow"),
        # Stress marks (combining acute) are dropped.
        ("Ива́н", "Петро́в", "iwan.petrow"),
        # Ukrainian
        ("Олександр", "Зеленський", "oleksandr.selenski"),
        ("Ірина", "Їжакевич", "irina.jischakewitsch"),
        ("Євгенія", "Ґалаґан", "jewgenija.galagan"),
        ("Тарас", "Кобзарʼ", "taras.kobsar"),
        # Serbian / Belarusian
        ("Новак", "Ђоковић", "nowak.djokowic"),
        ("Љубица", "Јовановић", "ljubiza.jowanowic"),
        ("Ўладзімір", "Караткевіч", "uladsimir.karatkewitsch"),
    ],
)
def test_username_base_cyrillic(given: str, family: str, expected: str) -> None:
    assert username_base(given, family) == expected


@pytest.mark.parametrize(
    ("given", "family", "particle", "expected"),
    [
        ("Anna", "Berg", "von", "anna.von-berg"),
        ("Hans", "Meer", "van der", "hans.van-der-meer"),
        ("Hans", "Meer", " Van  der ", "hans.van-der-meer"),
        ("Leon", "Hagen", "zu", "leon.zu-hagen"),
        ("Leon", "Rosen", "de la", "leon.de-la-rosen"),
        # Particle already part of the family name field
        ("Hans", "van der Meer", "", "hans.van-der-meer"),
        ("Hans", "van der Meer", "van der", "hans.van-der-meer"),
        # Empty or punctuation-only particle is ignored
        ("Hans", "Meer", "   ", "hans.meer"),
        ("Hans", "Meer", "'", "hans.meer"),
    ],
)
def test_username_base_particles(given: str, family: str, particle: str, expected: str) -> None:
    assert username_base(given, family, particle) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jürgen", "juergen"),
        ("ÄÖÜäöüß", "aeoeueaeoeuess"),
        ("ẞ", "ss"),
        ("æøåœ", "aeoeaaoe"),
        ("ÆØÅŒ", "aeoeaaoe"),
        ("łđðþı", "lddthi"),
        ("ŁĐÐÞ", "lddth"),
        ("éşğễçñ", "esgecn"),
        ("Ĳssel", "ijssel"),
        ("O'Brien", "obrien"),
        ("a’bʼc`d", "abcd"),
        ("a.b.c", "abc"),
        ("  a  b  ", "a-b"),
        ("a - - b", "a-b"),
        ("---", ""),
        ("12345", ""),
        ("R2-D2", "r-d"),
        ("李小龍", ""),
        ("\u00a0\u202f\u2007", ""),
        ("Anna\u00adLena", "annalena"),  # soft hyphen is invisible and vanishes
        ("Anna\u2011Lena", "anna-lena"),  # non-breaking hyphen is a hyphen
        ("Zoe\u0308", "zoe"),
    ],
)
def test_transliterate(text: str, expected: str) -> None:
    assert transliterate(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Ünal Şahin-Öz",
        "Γιώργος Ευάγγελος",
        "Щукина-Ёлкина",
        "Nguyễn Thị Đào",
        "D’Angelo!?",
    ],
)
def test_transliterate_output_alphabet(text: str) -> None:
    result = transliterate(text)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", result)


@pytest.mark.parametrize(
    ("given", "family"),
    [
        ("", "Müller"),
        ("   ", "Müller"),
        ("Anna", ""),
        ("Anna", "\u00a0"),
        ("'", "Müller"),
        ("Anna", "123"),
        ("李", "小龍"),
    ],
)
def test_username_base_rejects_empty_parts(given: str, family: str) -> None:
    with pytest.raises(ValueError, match="lässt sich kein Benutzername bilden"):
        username_base(given, family)


def test_username_base_error_names_the_field() -> None:
    with pytest.raises(ValueError, match="Vornamen"):
        username_base("!!!", "Müller")
    with pytest.raises(ValueError, match="Nachnamen"):
        username_base("Anna", "!!!")


def test_max_recommended_length() -> None:
    assert MAX_RECOMMENDED_LENGTH == 20
    assert len(username_base("Anna Lena", "Müller-Lüdenscheidt")) > MAX_RECOMMENDED_LENGTH


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "anna.meier"),
        ({"anna.meier"}, "anna.meier2"),
        ({"anna.meier", "anna.meier2"}, "anna.meier3"),
        # A gap is reused: anna.meier2 is free although anna.meier3 exists.
        ({"anna.meier", "anna.meier3"}, "anna.meier2"),
        # Unrelated names do not matter.
        ({"anna.meierhof", "anna.meier-schulz"}, "anna.meier"),
    ],
)
def test_first_free_username(taken: set[str], expected: str) -> None:
    assert first_free_username("anna.meier", taken.__contains__) == expected


def test_first_free_username_many_collisions() -> None:
    taken = {"max.mustermann"} | {f"max.mustermann{n}" for n in range(2, 101)}
    assert first_free_username("max.mustermann", taken.__contains__) == "max.mustermann101"


def test_first_free_username_checks_in_order() -> None:
    asked: list[str] = []

    def is_taken(name: str) -> bool:
        asked.append(name)
        return len(asked) < 3

    assert first_free_username("lea.kim", is_taken) == "lea.kim3"
    assert asked == ["lea.kim", "lea.kim2", "lea.kim3"]


def test_first_free_username_gives_up() -> None:
    calls: list[str] = []

    def always_taken(name: str) -> bool:
        calls.append(name)
        return True

    with pytest.raises(ValueError, match="kein freier Benutzername"):
        first_free_username("anna.meier", always_taken)
    assert len(calls) == MAX_SUFFIX
    assert calls[-1] == f"anna.meier{MAX_SUFFIX}"


def test_first_free_username_rejects_empty_base() -> None:
    with pytest.raises(ValueError):
        first_free_username("", lambda name: False)
