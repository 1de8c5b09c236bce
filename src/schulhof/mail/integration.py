"""How the mail module plugs into the others: quota, lifecycle, leaver notices, portal."""

from __future__ import annotations


def connect() -> None:
    from schulhof.accounts.lifecycle import register_deletion_step, register_export_step
    from schulhof.files.quota import register_mail_usage_provider
    from schulhof.mail.lifecycle import delete_person_mail, export_person_mail
    from schulhof.mail.portal import register_modules
    from schulhof.mail.quota import mail_usage_bytes

    register_mail_usage_provider(mail_usage_bytes)
    register_deletion_step("mail", delete_person_mail)
    register_export_step("mail", export_person_mail)
    register_modules()
