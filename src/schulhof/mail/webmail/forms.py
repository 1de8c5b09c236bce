"""The compose form. Recipients are free text (``a@b.de, Max Muster <max@b.de>``), checked
and parsed by ``compose.parse_recipients``; attachments come as ``request.FILES`` (several
per input, which Django's form fields do not handle) and are checked in the view."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schulhof.mail.webmail import compose
from schulhof.mail.webmail.headers import Address

MAX_BODY_CHARS = 1_000_000


class RecipientsInput(forms.TextInput):
    def __init__(self) -> None:
        super().__init__(
            attrs={
                "autocomplete": "off",
                "spellcheck": "false",
                "data-wm-recipients": "",
                "aria-autocomplete": "list",
            }
        )


class ComposeForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("An"), required=False, max_length=20000, widget=RecipientsInput()
    )
    cc = forms.CharField(
        label=gettext_lazy("Kopie (Cc)"),
        required=False,
        max_length=20000,
        widget=RecipientsInput(),
    )
    bcc = forms.CharField(
        label=gettext_lazy("Blindkopie (Bcc)"),
        required=False,
        max_length=20000,
        widget=RecipientsInput(),
        help_text=gettext_lazy("Diese Empfänger sehen die anderen nicht und umgekehrt."),
    )
    subject = forms.CharField(
        label=gettext_lazy("Betreff"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label=gettext_lazy("Nachricht"),
        required=False,
        strip=False,
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    parent_info = forms.BooleanField(
        label=gettext_lazy("Information für die Eltern"),
        required=False,
        help_text=gettext_lazy(
            "Die Nachricht wird bei allen Empfängern deutlich als Information für die Eltern "
            "gekennzeichnet."
        ),
    )
    keep = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    draft_uid = forms.IntegerField(
        required=False, min_value=1, max_value=2**32 - 1, widget=forms.HiddenInput
    )
    source = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    in_reply_to = forms.CharField(required=False, max_length=5000, widget=forms.HiddenInput)
    references = forms.CharField(required=False, max_length=20000, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        attachment_choices: list[tuple[str, str]] | None = None,
        may_mark_parent_info: bool = False,
        sending: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        keep = self.fields["keep"]
        assert isinstance(keep, forms.MultipleChoiceField)  # noqa: S101 - declared above
        keep.choices = attachment_choices or []
        self.sending = sending
        if not may_mark_parent_info:
            del self.fields["parent_info"]
        self.recipients: dict[str, list[Address]] = {"to": [], "cc": [], "bcc": []}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("to", "cc", "bcc"):
            found, errors = compose.parse_recipients(cleaned.get(name, "") or "")
            self.recipients[name] = found
            for error in errors[:5]:
                self.add_error(name, error)
            if len(errors) > 5:
                self.add_error(
                    name,
                    _("… und %(count)s weitere ungültige Adressen.") % {"count": len(errors) - 5},
                )
        total = sum(len(values) for values in self.recipients.values())
        if self.sending and total == 0 and not self.errors:
            self.add_error("to", _("Bitte geben Sie mindestens einen Empfänger an."))
        if total > compose.MAX_RECIPIENTS:
            self.add_error(
                "to",
                _("Höchstens %(count)s Empfänger je Nachricht.")
                % {"count": compose.MAX_RECIPIENTS},
            )
        cleaned["in_reply_to"] = compose.clean_message_ids(cleaned.get("in_reply_to", ""))
        cleaned["references"] = compose.clean_message_ids(cleaned.get("references", ""))
        return cleaned

    def draft(self) -> compose.Draft:
        """The form's content (after ``is_valid``, or as far as it is valid)."""
        data = getattr(self, "cleaned_data", {}) or {}
        return compose.Draft(
            to=data.get("to", "") or self.data.get("to", ""),
            cc=data.get("cc", "") or self.data.get("cc", ""),
            bcc=data.get("bcc", "") or self.data.get("bcc", ""),
            subject=data.get("subject", "") or self.data.get("subject", "")[:500],
            body=data.get("body", "") or self.data.get("body", "")[:MAX_BODY_CHARS],
            parent_info=bool(data.get("parent_info")),
            in_reply_to=data.get("in_reply_to", ""),
            references=data.get("references", ""),
            source=data.get("source", "") or "",
        )


class AutoReplyForm(forms.Form):
    """The automatic reply while away; the dates are optional (without them it runs until
    switched off)."""

    enabled = forms.BooleanField(
        label=gettext_lazy("Abwesenheitsnotiz einschalten"), required=False
    )
    start = forms.DateField(
        label=gettext_lazy("Ab (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("Bis einschließlich (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    subject = forms.CharField(label=gettext_lazy("Betreff"), max_length=200)
    message = forms.CharField(
        label=gettext_lazy("Text"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 9}),
    )

    def __init__(self, *args: Any, today: Any, **kwargs: Any) -> None:
        from schulhof.mail.models import AutoReply

        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["message"].help_text = _(
            "Jede Person, die Ihnen schreibt, bekommt diese Antwort höchstens einmal in "
            "%(days)s Tagen. E-Mails an Gruppen und Verteiler werden nicht beantwortet."
        ) % {"days": AutoReply.DAYS}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("Das Ende liegt vor dem Beginn."))
        elif data.get("enabled") and end and end < self.today:
            self.add_error(
                "end", _("Das Ende liegt in der Vergangenheit. Bitte wählen Sie ein neues Datum.")
            )
        return data
