from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import Server, free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    srv = Server(data_dir=tmp_path_factory.mktemp("schulhof-data"), port=free_port())
    srv.prepare()
    srv.start()
    try:
        yield srv
    finally:
        if srv.process is not None and srv.process.poll() is None:
            srv.stop()
        keep_logs(srv, request.module.__name__.rsplit(".", 1)[-1])


def keep_logs(srv: Server, name: str) -> None:
    """The server's logs go to test-artifacts/logs/<module>/, to read after a failure."""
    target = ARTIFACTS / "logs" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in [srv.data_dir / "run-console.log", *sorted((srv.data_dir / "logs").glob("*"))]:
        if path.is_file():
            shutil.copy(path, target / path.name)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is missing at %s (make test installs it)" % CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshots() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
