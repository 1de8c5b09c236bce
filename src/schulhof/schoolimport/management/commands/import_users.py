"""``schulhof import-users FILE``: preview an export, and with ``--apply`` carry it out.

Thin wrapper around the same actions as the import page. Without ``--apply`` nothing is
written. ``--json`` prints exactly one JSON object.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from schulhof.accounts import letters
from schulhof.accounts.models import User, get_system_actor
from schulhof.schoolimport.actions import ImportRefused, do_apply_import_run, do_create_import_run
from schulhof.schoolimport.encodings import ENCODINGS, UnreadableFile
from schulhof.schoolimport.engine import ApplyResult, ImportOptions, Preview, make_preview
from schulhof.schoolimport.models import ImportRole
from schulhof.schoolimport.profiles import SCHILD_PUPILS, SCHILD_TEACHERS, Layout, layout_by_name

CHANGE_LABELS = {
    "new": "neu",
    "updated": "geändert",
    "class_changed": "Klassenwechsel",
    "left": "Abgang",
    "returned": "Rückkehr",
    "unchanged": "unverändert",
    "invalid": "FEHLER",
}


def _layout(options: dict[str, Any]) -> Layout:
    role = options["role"]
    if options["profile"]:
        layout = layout_by_name(options["profile"])
        if layout is None:
            raise CommandError(
                _(
                    "Importprofil „%(name)s“ gibt es nicht (eingebaut: schild-schueler, "
                    "schild-lehrer)."
                )
                % {"name": options["profile"]}
            )
        if role and role != layout.role:
            raise CommandError(
                _("Das Profil „%(name)s“ ist für %(role)s, nicht für --role %(wanted)s.")
                % {"name": options["profile"], "role": layout.role, "wanted": role}
            )
        return layout
    return SCHILD_TEACHERS if role == ImportRole.TEACHER else SCHILD_PUPILS


def _row(person: dict[str, Any]) -> list[str]:
    username = person["username"]
    if person.get("new_username"):
        username = "%s → %s" % (username, person["new_username"])
    klasse = person.get("class") or ""
    if person.get("class_from"):
        klasse = "%s → %s" % (", ".join(person["class_from"]), klasse)
    return [
        str(person["line"] or "–"),
        person["record_id"] or "–",
        person["name"],
        klasse or "–",
        username or "–",
        CHANGE_LABELS.get(person["change"], person["change"]),
    ]


class Command(BaseCommand):
    help = (
        "Preview an export of the school administration software (SchILD-NRW or a saved "
        "profile); with --apply, import it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The export file (CSV/text).")
        parser.add_argument(
            "--profile",
            default="",
            help="schild-schueler (default), schild-lehrer, or the name of a saved profile.",
        )
        parser.add_argument(
            "--source", default="", help="Source id (default: the profile's, e.g. schild-schueler)."
        )
        parser.add_argument("--role", choices=[ImportRole.PUPIL, ImportRole.TEACHER], default="")
        parser.add_argument(
            "--encoding", choices=list(ENCODINGS), default="", help="Default: detect."
        )
        parser.add_argument("--apply", action="store_true", help="Import (default: preview only).")
        parser.add_argument(
            "--skip-invalid", action="store_true", help="Import the valid rows despite errors."
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="The file is not complete: people missing from it do not become leavers.",
        )
        parser.add_argument(
            "--keep-usernames",
            action="store_true",
            help="Do not rename people whose name changed.",
        )
        parser.add_argument(
            "--letters",
            default="",
            metavar="PDF",
            help="With --apply: write the credential letters of the new people to this file.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    letters_written = False

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Die Datei %(path)s lässt sich nicht lesen: %(error)s")
                % {"path": path, "error": error.strerror or error}
            ) from error
        if options["letters"] and not options["apply"]:
            raise CommandError(_("--letters gibt es nur zusammen mit --apply."))
        layout = _layout(options)
        import_options = ImportOptions(
            layout=layout,
            source=options["source"] or layout.source,
            encoding=options["encoding"],
            full=not options["partial"],
        )
        try:
            preview = make_preview(data, import_options)
        except UnreadableFile as error:
            raise CommandError(str(error)) from error
        result = (
            self._apply(data, path, import_options, preview, options) if options["apply"] else None
        )
        if options["json"]:
            self._print_json(preview, result)
        else:
            self._print_table(preview, result)

    def _apply(
        self,
        data: bytes,
        path: Path,
        import_options: ImportOptions,
        preview: Preview,
        options: dict[str, Any],
    ) -> ApplyResult:
        invalid = preview.counts["invalid"]
        if invalid and not options["skip_invalid"]:
            lines = ", ".join(str(error["line"]) for error in preview.errors[:20])
            raise CommandError(
                _(
                    "%(count)d Zeilen haben Fehler (Zeilen %(lines)s); nichts übernommen. "
                    "Korrigieren Sie die Datei oder übernehmen Sie die übrigen mit --skip-invalid."
                )
                % {"count": invalid, "lines": lines}
            )
        system = get_system_actor()
        try:
            run = do_create_import_run(
                data, filename=path.name, options=import_options, acting_user=system
            )
            result = do_apply_import_run(
                run,
                acting_user=system,
                skip_invalid=options["skip_invalid"],
                rename_usernames=not options["keep_usernames"],
                layout=import_options.layout,
            )
        except (ImportRefused, UnreadableFile) as error:
            raise CommandError(str(error)) from error
        if options["letters"]:
            self._write_letters(Path(options["letters"]), result, system)
            self.letters_written = True
        return result

    def _write_letters(self, target: Path, result: ApplyResult, issuer: User) -> None:
        users = User.objects.in_bulk(list(result.first_passwords))
        letter_list = sorted(
            (
                letters.letter_for(users[pk], password, issuer=issuer)
                for pk, password in result.first_passwords.items()
            ),
            key=lambda letter: (letter.class_name, letter.full_name.casefold()),
        )
        if not letter_list:
            return
        pdf = letters.credential_letters_pdf(letter_list)
        # The letters hold first passwords: readable by the owner only.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pdf)

    def _print_json(self, preview: Preview, result: ApplyResult | None) -> None:
        stored = preview.as_json()
        output = {
            "counts": stored["counts"],
            "people": [
                {
                    "record_id": person["record_id"],
                    "username": person["new_username"] or person["username"],
                    "change": person["change"],
                    "class": person["class"],
                    "role": person["role"],
                    "line": person["line"],
                    "name": person["name"],
                    "old_username": person["username"] if person["new_username"] else None,
                }
                for person in stored["people"]
            ],
            "errors": [{"line": e["line"], "message": e["message"]} for e in stored["errors"]],
            "warnings": [{"line": w["line"], "message": w["message"]} for w in stored["warnings"]],
            "applied": result is not None,
            "file": stored["file"],
            "source": stored["source"],
        }
        if result is not None:
            output["applied_counts"] = result.counts
            output["created"] = len(result.created)
        self.stdout.write(json.dumps(output, ensure_ascii=False))

    def _print_table(self, preview: Preview, result: ApplyResult | None) -> None:
        stored = preview.as_json()
        people = [p for p in stored["people"] if p["change"] != "unchanged"]
        header = ["Zeile", "Kennung", "Name", "Klasse", "Benutzername", "Änderung"]
        rows = [_row(person) for person in people]
        widths = [max([len(header[i])] + [len(row[i]) for row in rows]) for i in range(len(header))]
        file = stored["file"]
        self.stdout.write(
            _("Datei: %(rows)d Zeilen, %(encoding)s, Trennzeichen %(separator)s, Quelle %(source)s")
            % {
                "rows": file["rows"],
                "encoding": file["encoding_label"],
                "separator": file["separator_label"],
                "source": stored["source"],
            }
        )
        if rows:
            self.stdout.write("")
            self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
            for row in rows:
                self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        for title, items in ((_("Fehler"), stored["errors"]), (_("Warnungen"), stored["warnings"])):
            if items:
                self.stdout.write("")
                self.stdout.write("%s:" % title)
                for item in items:
                    where = _("Zeile %(line)s: ") % {"line": item["line"]} if item["line"] else ""
                    self.stdout.write("  %s%s" % (where, item["message"]))
        self.stdout.write("")
        self.stdout.write(
            ", ".join(
                "%s %d" % (CHANGE_LABELS[change], count)
                for change, count in stored["counts"].items()
            )
        )
        if result is None:
            self.stdout.write(_("Nur Vorschau: nichts geändert. Übernehmen mit --apply."))
        else:
            self.stdout.write(
                _("Übernommen: %(created)d Konten angelegt.") % {"created": len(result.created)}
            )
            if result.created and not self.letters_written:
                self.stdout.write(
                    _(
                        "Die Erstpasswörter wurden nicht ausgegeben (dafür --letters DATEI). "
                        "Zugangsbriefe mit neuen Erstpasswörtern gibt es im Portal unter "
                        "„Meine Klassen“."
                    )
                )
