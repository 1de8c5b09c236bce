from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from schulhof.accounts import totp
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

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        current = cleaned.get("current_password")
        new = cleaned.get("new_password")
        # Who suspects a leaked password must really replace it.
        if current and new and current == new:
            self.add_error(
                "new_password", _("Das neue Passwort muss sich vom bisherigen unterscheiden.")
            )
        return cleaned


def _code_field() -> forms.CharField:
    return forms.CharField(
        label=_("Sechsstelliger Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "totp-code",
            }
        ),
        help_text=_("Die Zahl, die Ihre Authenticator-App gerade anzeigt."),
    )


def _clean_code_format(raw: str) -> str:
    code = totp.normalise_code(raw)
    if len(code) != totp.DIGITS or not code.isdigit():
        raise forms.ValidationError(_("Bitte geben Sie die sechs Ziffern aus Ihrer App ein."))
    return code


class TotpCodeForm(forms.Form):
    """The second login step: the code of an enabled second factor. Whether it is right is
    decided by the view (it counts failures)."""

    code = _code_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["autofocus"] = True

    def clean_code(self) -> str:
        return _clean_code_format(self.cleaned_data["code"])


class TotpConfirmForm(forms.Form):
    """Turn two-factor login on: the first code from the app proves it holds the new secret."""

    code = _code_field()

    def __init__(self, secret: str, *args: Any, **kwargs: Any) -> None:
        self.secret = secret
        # The time step of the accepted code, so it is used up after enabling.
        self.step: int | None = None
        super().__init__(*args, **kwargs)

    def clean_code(self) -> str:
        code = _clean_code_format(self.cleaned_data["code"])
        self.step = totp.matching_step(self.secret, code)
        if self.step is None:
            raise forms.ValidationError(
                _(
                    "Der Code passt nicht. Prüfen Sie, ob die Uhrzeit Ihres Geräts stimmt, "
                    "und geben Sie den aktuellen Code ein."
                )
            )
        return code


class TotpDisableForm(forms.Form):
    """Turn two-factor login off: needs the password and a current code."""

    current_password = forms.CharField(
        label=_("Passwort"),
        strip=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = _code_field()

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_current_password(self) -> str:
        password: str = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Das Passwort ist nicht richtig."))
        return password

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The code is used up only when the password was right: a wrong password must not
        # burn the user's current code.
        if (
            "current_password" in cleaned
            and "code" in cleaned
            and not totp.verify(self.user, cleaned["code"])
        ):
            self.add_error("code", _("Der Code ist nicht richtig oder wurde schon benutzt."))
        return cleaned
