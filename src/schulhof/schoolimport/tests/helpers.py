"""Shared helpers of the import tests."""

from __future__ import annotations

from schulhof.accounts.models import User, get_system_actor
from schulhof.schoolimport.actions import do_apply_import_run, do_create_import_run
from schulhof.schoolimport.engine import ApplyResult, ImportOptions, Preview, make_preview
from schulhof.schoolimport.models import ImportRun
from schulhof.schoolimport.profiles import SCHILD_PUPILS, Layout


def options(layout: Layout = SCHILD_PUPILS, **kwargs: object) -> ImportOptions:
    values: dict[str, object] = {"source": layout.source}
    values.update(kwargs)
    return ImportOptions(layout=layout, **values)  # type: ignore[arg-type]


def preview(data: bytes, layout: Layout = SCHILD_PUPILS, **kwargs: object) -> Preview:
    return make_preview(data, options(layout, **kwargs))


def run_import(
    data: bytes,
    layout: Layout = SCHILD_PUPILS,
    *,
    skip_invalid: bool = False,
    rename_usernames: bool = True,
    actor: User | None = None,
    **kwargs: object,
) -> tuple[ImportRun, ApplyResult]:
    """Preview and apply, as the page does."""
    actor = actor or get_system_actor()
    run = do_create_import_run(
        data, filename="export.csv", options=options(layout, **kwargs), acting_user=actor
    )
    result = do_apply_import_run(
        run, acting_user=actor, skip_invalid=skip_invalid, rename_usernames=rename_usernames
    )
    run.refresh_from_db()
    return run, result


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


HEADER = (
    '"Interne ID-Nummer";"Nachname";"Vorname";"Namenszusatz";"Geburtsdatum";"Klasse";'
    '"Jahrgang";"Status";"Entlassdatum"'
)


def row(
    record_id: str,
    last: str,
    first: str,
    klasse: str = "5a",
    *,
    particle: str = "",
    born: str = "01.02.2015",
    year: str = "",
    status: str = "2",
    left: str = "",
) -> str:
    cells = [record_id, last, first, particle, born, klasse, year, status, left]
    return ";".join('"%s"' % cell for cell in cells)
