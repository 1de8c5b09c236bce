"""The network drive guides (with this school's address) and the dashboard card."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client, RequestFactory

from schulhof.accounts.actions import do_create_sanction
from schulhof.accounts.models import User
from schulhof.accounts.tests.factories import make_user
from schulhof.core.models import SchoolSettings
from schulhof.files import portal
from schulhof.files.guides import GUIDES, connection_for
from schulhof.files.storage import Space
from schulhof.files.tests import test_views as shared
from schulhof.files.tests.test_views import put_file
from schulhof.web import modules

pytestmark = pytest.mark.django_db

# Fixtures shared with test_views (pytest finds them as attributes of this module).
class_5a = shared.class_5a
client = shared.client
leon = shared.leon
leon_space = shared.leon_space


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    """Tests here register the card; leave the global registry as it was for the others."""
    saved = dict(modules._modules)
    yield
    modules._modules.clear()
    modules._modules.update(saved)


@pytest.fixture
def portal_url() -> str:
    SchoolSettings.get()
    SchoolSettings.objects.update(portal_url="https://portal.lessing-gym.de/")
    return "https://portal.lessing-gym.de/webdav/"


def test_guides_index_shows_the_real_address(
    client: Client, class_5a: Space, portal_url: str
) -> None:
    html = client.get("/dateien/anleitungen/").content.decode()
    assert portal_url in html
    assert "leon.schmidt" in html
    assert "Files/" in html and "Groups/5a/" in html
    for guide in GUIDES:
        assert 'href="/dateien/anleitungen/%s/"' % guide.slug in html
    assert "noch nicht über https" not in html


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ("windows", ["Netzlaufwerk verbinden", "net use S: \\\\portal.lessing-gym.de@SSL\\webdav",
                     "BasicAuthLevel", "FileSizeLimitInBytes"]),
        ("macos", ["Mit Server verbinden", "https://portal.lessing-gym.de/webdav/"]),
        ("linux", ["davs://portal.lessing-gym.de/webdav/", "webdavs://portal.lessing-gym.de/webdav/",
                   "davfs2", "/etc/fstab"]),
        ("ios", ["Dateien-App", "WebDAV"]),
        ("android", ["WebDAV", "portal.lessing-gym.de", "/webdav/"]),
    ],
)  # fmt: skip
def test_each_guide(client: Client, portal_url: str, system: str, expected: list[str]) -> None:
    response = client.get("/dateien/anleitungen/%s/" % system)
    assert response.status_code == 200
    html = response.content.decode()
    for text in expected:
        assert text in html, text


def test_unknown_guide_is_404(client: Client) -> None:
    assert client.get("/dateien/anleitungen/amiga/").status_code == 404


def test_without_portal_url_the_base_url_is_used(leon: User, settings: object) -> None:
    settings.SCHULHOF_BASE_URL = "http://127.0.0.1:8000"  # type: ignore[attr-defined]
    dav = connection_for(leon)
    assert dav.url == "http://127.0.0.1:8000/webdav/"
    assert not dav.https
    assert dav.unc_path == "\\\\127.0.0.1@8000\\webdav"
    assert dav.dav_url == "dav://127.0.0.1:8000/webdav/"


def test_file_manager_links_to_the_guides(client: Client) -> None:
    html = client.get("/dateien/").content.decode()
    assert 'href="/dateien/anleitungen/"' in html
    assert "Als Netzlaufwerk verbinden" in html


# --- Dashboard card ----------------------------------------------------------------------


def test_register_replaces_the_placeholder() -> None:
    portal.register_modules()
    module = next(m for m in modules.modules_for(make_user()) if m.key == "files")
    assert module.url_name == "files:home"
    assert module.card_template == "files/cards/files.html"


def test_card_with_recent_files_and_quota(
    leon: User, leon_space: Space, class_5a: Space, client: Client
) -> None:
    put_file(leon_space, "Alt.txt", b"x", leon)
    put_file(class_5a, "Neu in der Klasse.pdf", b"x" * 2048, leon)
    request = RequestFactory().get("/")
    request.user = leon
    card = portal.files_card(request)  # type: ignore[arg-type]
    assert card is not None
    assert [row.node.name for row in card["recent"]] == ["Neu in der Klasse.pdf", "Alt.txt"]
    assert card["quota"].text == "1 B von 2 GB belegt (davon E-Mail 0 B)"
    assert card["groups"] == 1

    portal.register_modules()
    html = client.get("/").content.decode()
    assert "Neu in der Klasse.pdf" in html
    assert "von 2 GB belegt" in html


def test_card_empty_and_blocked(leon: User, client: Client) -> None:
    portal.register_modules()
    html = client.get("/").content.decode()
    assert "Noch keine Dateien." in html
    do_create_sanction(leon, blocked=["files"], reason="Test", acting_user=make_user(admin=True))
    html = client.get("/").content.decode()
    assert "Der Bereich Dateien ist für Ihr Konto gesperrt." in html


def test_group_folders_are_named_by_slug_as_in_webdav(leon: User, client: Client) -> None:
    from schulhof.accounts.models import Membership
    from schulhof.accounts.tests.factories import GroupFactory

    group = GroupFactory(name="Bio-AG Teich", slug="bio-ag", has_folder=True)
    Membership.objects.create(user=leon, group=group)
    html = client.get("/dateien/anleitungen/").content.decode()
    assert "Groups/bio-ag/</code> (Bio-AG Teich)" in html
