from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from schulhof.accounts.models import User


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Benutzername"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
        help_text=_("In der Form vorname.nachname"),
    )
    password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class NewPasswordForm(forms.Form):
    """Choose a new password; the policy (length table, dictionary) is applied in clean()."""

    new_password = forms.CharField(
        label=_("Neues Passwort"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "data-password-hint": "1"}
        ),
    )
    new_password_repeat = forms.CharField(
        label=_("Neues Passwort wiederholen"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_new_password(self) -> str:
        password: str = self.cleaned_data["new_password"]
        password_validation.validate_password(password, self.user)
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first = cleaned.get("new_password")
        second = cleaned.get("new_password_repeat")
        if first and second and first != second:
            self.add_error("new_password_repeat", _("Die beiden Passwörter stimmen nicht überein."))
        return cleaned


class ChangePasswordForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("Bisheriges Passwort"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password", "new_password_repeat"]

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Das bisherige Passwort ist nicht richtig."))
        return password
