"""Forms of the file manager. They check the shape of the input; whether a name is allowed
(Windows-safe, not taken, …) is decided by the storage, whose German message is shown at the
field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from schulhof.files import names, storage


class NameForm(forms.Form):
    """A new name: for a new folder or for renaming."""

    name = forms.CharField(
        label=_("Name"),
        max_length=names.MAX_NAME_BYTES,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_name(self) -> str:
        value: str = self.cleaned_data["name"].strip()
        if "/" in value:
            raise forms.ValidationError(_("Ein Name darf keinen Schrägstrich enthalten."))
        try:
            return storage.canonical_path(value)
        except storage.InvalidName as error:
            raise forms.ValidationError(error.message) from None


class EnsureFolderForm(forms.Form):
    """Folders of a folder upload: a relative path below the current folder; missing
    folders on the way are created (the script sends one per folder of the upload)."""

    path = forms.CharField(max_length=names.MAX_PATH_BYTES)


class TargetForm(forms.Form):
    """The folder to move or copy into, as the picker hands it over."""

    target_kind = forms.ChoiceField(choices=[("user", "user"), ("group", "group")])
    target_key = forms.CharField(max_length=150)
    target_path = forms.CharField(max_length=names.MAX_PATH_BYTES, required=False)
