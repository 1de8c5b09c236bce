"""Teachers may issue first passwords by default; the policy limits them to the pupils of the
classes and year groups they lead."""

from django.db import migrations


def grant(apps, schema_editor):
    PrivilegeGrant = apps.get_model("accounts", "PrivilegeGrant")
    PrivilegeGrant.objects.get_or_create(
        privilege="accounts.issue_first_password", kind="role", role="teacher"
    )


def ungrant(apps, schema_editor):
    PrivilegeGrant = apps.get_model("accounts", "PrivilegeGrant")
    PrivilegeGrant.objects.filter(
        privilege="accounts.issue_first_password", kind="role", role="teacher"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(grant, ungrant)]
