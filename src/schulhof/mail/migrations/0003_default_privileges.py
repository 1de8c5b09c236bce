"""Teachers and staff may write outside the school, to group addresses and to all pupils or
all teachers by default; pupils may not (admins grant it per group or role)."""

from django.db import migrations

DEFAULTS = [
    (privilege, role)
    for role in ("teacher", "staff")
    for privilege in ("mail.send_external", "mail.send_groups", "mail.send_all")
]


def grant(apps, schema_editor):
    PrivilegeGrant = apps.get_model("accounts", "PrivilegeGrant")
    for privilege, role in DEFAULTS:
        PrivilegeGrant.objects.get_or_create(privilege=privilege, kind="role", role=role)


def ungrant(apps, schema_editor):
    PrivilegeGrant = apps.get_model("accounts", "PrivilegeGrant")
    for privilege, role in DEFAULTS:
        PrivilegeGrant.objects.filter(privilege=privilege, kind="role", role=role).delete()


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_dovecot_users_view"), ("accounts", "0003_lifecycle_consent")]

    operations = [migrations.RunPython(grant, ungrant)]
