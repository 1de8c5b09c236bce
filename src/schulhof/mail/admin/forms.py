from __future__ import annotations

from django import forms

from schulhof.mail.models import MailPolicy


class MailPolicyForm(forms.ModelForm):
    class Meta:
        model = MailPolicy
        fields = [
            "pupil_recipients_per_message",
            "pupil_recipients_per_hour",
            "staff_recipients_per_message",
            "staff_recipients_per_hour",
        ]
