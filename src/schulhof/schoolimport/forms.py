"""Forms of the import pages. They validate input; the actions write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _

from schulhof.schoolimport.encodings import AUTO, ENCODINGS
from schulhof.schoolimport.models import HeaderMode, ImportProfile, ImportRole
from schulhof.schoolimport.profiles import (
    FIELDS,
    FIRST_NAME,
    KUERZEL,
    LAST_NAME,
    RECORD_ID,
    layout_choices,
)
from schulhof.schoolimport.readers import SEPARATOR_LABELS

#: Uploads larger than this are refused (a school's export is well under 1 MB).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def encoding_choices() -> list[tuple[str, Any]]:
    return [(AUTO, _("automatisch erkennen")), *ENCODINGS.items()]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Exportdatei"),
        help_text=_(
            "Textdatei (CSV) aus der Schulverwaltung, höchstens 10 MB. SchILD-NRW: "
            "Datei → Export → Textdateien, Trennzeichen Semikolon."
        ),
    )
    layout = forms.ChoiceField(label=_("Art der Datei"))
    encoding = forms.ChoiceField(label=_("Zeichenkodierung"), required=False)
    full_import = forms.BooleanField(
        label=_("Vollständiger Import"),
        required=False,
        initial=True,
        help_text=_(
            "Die Datei enthält alle aktuellen Personen dieser Quelle: wer fehlt, wird als "
            "abgegangen markiert (gesperrt, nach der Löschfrist gelöscht). Abwählen, wenn die "
            "Datei nur einen Teil enthält, z. B. nur Neuzugänge."
        ),
    )
    source = forms.CharField(
        label=_("Quelle (Kennung)"),
        required=False,
        max_length=50,
        validators=[validate_slug],
        help_text=_(
            "Leer lassen: die Quelle des Profils. Nur ändern, wenn mehrere Schulverwaltungen "
            "Personen liefern."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        layout = self.fields["layout"]
        assert isinstance(layout, forms.ChoiceField)  # noqa: S101 - narrows the type
        layout.choices = layout_choices()
        encoding = self.fields["encoding"]
        assert isinstance(encoding, forms.ChoiceField)  # noqa: S101
        encoding.choices = encoding_choices()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("Die Datei ist größer als 10 MB."))
        return upload


class ApplyForm(forms.Form):
    skip_invalid = forms.BooleanField(
        label=_("Fehlerhafte Zeilen überspringen"),
        required=False,
        help_text=_(
            "Die übrigen Zeilen werden übernommen; die Personen der fehlerhaften Zeilen bleiben "
            "unverändert."
        ),
    )
    rename_usernames = forms.BooleanField(
        label=_("Benutzernamen an geänderte Namen anpassen"),
        required=False,
        initial=True,
        help_text=_(
            "Der alte Benutzername bleibt als E-Mail-Alias erhalten und wird nie neu vergeben."
        ),
    )


def _separator_choices() -> list[tuple[str, Any]]:
    return [("", _("automatisch erkennen")), *SEPARATOR_LABELS.items()]


class ProfileForm(forms.ModelForm):
    """An import profile: the fixed options, then one input per field for its column."""

    separator = forms.ChoiceField(label=_("Trennzeichen"), required=False)
    encoding = forms.ChoiceField(label=_("Zeichenkodierung"), required=False)

    class Meta:
        model = ImportProfile
        fields = ["name", "source", "role", "separator", "encoding", "header", "left_values"]
        help_texts = {
            "left_values": _(
                "Werte der Status-Spalte, die „abgegangen“ bedeuten, durch Komma getrennt. "
                "Alle anderen Werte gelten als aktiv."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("separator", _separator_choices()),
            ("encoding", encoding_choices()),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
            field.choices = choices
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)  # noqa: S101
        role.choices = ImportRole.choices  # no empty choice
        columns = self.instance.columns if self.instance.pk else {}
        for key, label in FIELDS.items():
            self.fields["column_%s" % key] = forms.CharField(
                label=str(label),
                required=False,
                max_length=100,
                initial=columns.get(key, ""),
                help_text=_("Spaltenüberschrift oder Spaltennummer (ab 1)")
                if key == RECORD_ID
                else "",
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self["column_%s" % key] for key in FIELDS]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.Meta.fields]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        columns = {
            key: str(data.get("column_%s" % key) or "").strip()
            for key in FIELDS
            if str(data.get("column_%s" % key) or "").strip()
        }
        required = [LAST_NAME, FIRST_NAME]
        if not (data.get("role") == ImportRole.TEACHER and KUERZEL in columns):
            required.insert(0, RECORD_ID)
        for key in required:
            if key not in columns:
                self.add_error("column_%s" % key, _("Diese Spalte braucht jeder Import."))
        numbers = [value for value in columns.values() if value.isdigit()]
        if numbers and len(numbers) != len(columns):
            raise forms.ValidationError(
                _("Geben Sie alle Spalten als Überschrift oder alle als Nummer an, nicht gemischt.")
            )
        if any(int(value) < 1 for value in numbers):
            raise forms.ValidationError(_("Spaltennummern beginnen bei 1."))
        if not numbers and data.get("header") == HeaderMode.NO:
            raise forms.ValidationError(
                _("Ohne Kopfzeile lassen sich Spalten nur über ihre Nummer zuordnen.")
            )
        data["columns"] = columns
        return data

    def action_values(self) -> dict[str, Any]:
        """The values for ``do_save_profile``."""
        data = self.cleaned_data
        values = {name: data[name] for name in self.Meta.fields}
        values["columns"] = data["columns"]
        return values
