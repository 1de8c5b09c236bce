from django import forms

from schulhof.core.models import SchoolSettings


class SchoolSettingsForm(forms.ModelForm):
    class Meta:
        model = SchoolSettings
        fields = [
            "school_name",
            "mail_domain",
            "portal_url",
            "quota_pupil_gib",
            "quota_teacher_gib",
            "quota_staff_gib",
            "max_upload_mib",
            "first_password_valid_days",
            "strict_password_check",
            "require_2fa_for_staff",
            "consent_required",
            "usage_policy_text",
            "leaver_grace_days",
            "trash_retention_days",
            "log_retention_months",
        ]

    def clean_mail_domain(self) -> str:
        return str(self.cleaned_data["mail_domain"]).strip().lower()
