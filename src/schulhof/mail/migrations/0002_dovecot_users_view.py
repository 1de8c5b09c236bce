"""The view Dovecot reads users from (passdb and userdb), the same on SQLite and PostgreSQL.

- ``password``: Django's Argon2id hash in Dovecot's notation (``argon2$argon2id$…`` →
  ``{ARGON2ID}$argon2id$…``), NULL for other hashes (such users cannot log in to Dovecot).
- ``mail_quota_bytes``: Dovecot's limit, the personal quota minus what files use (at least 1,
  because 0 would mean "unlimited" to Dovecot).

Who may log in is not decided here: Dovecot asks Schulhof's login policy after a correct
password (``mail.gate.loginpolicy``), which applies the one authentication service's rules.
"""

from django.db import migrations

GIB = 1024**3

VIEW = """
CREATE VIEW schulhof_mail_users AS
SELECT user_id, username, password,
       CASE WHEN limit_bytes - files_bytes > 0 THEN limit_bytes - files_bytes ELSE 1 END
         AS mail_quota_bytes
FROM (
  SELECT u.id AS user_id,
         u.username AS username,
         CASE WHEN substr(u.password, 1, 16) = 'argon2$argon2id$'
              THEN '{ARGON2ID}' || substr(u.password, 7) ELSE NULL END AS password,
         COALESCE(l.limit_override,
                  CAST(CASE u.role
                         WHEN 'pupil' THEN COALESCE(s.quota_pupil_gib, 2)
                         WHEN 'teacher' THEN COALESCE(s.quota_teacher_gib, 10)
                         ELSE COALESCE(s.quota_staff_gib, 10) END AS BIGINT) * %(gib)d)
           AS limit_bytes,
         COALESCE(l.used, 0) AS files_bytes
  FROM accounts_user u
  LEFT JOIN files_quotaledger l ON l.space_kind = 'user' AND l.space_key = u.username
  LEFT JOIN core_schoolsettings s ON s.id = 1
  WHERE u.role <> 'system' AND u.status IN ('active', 'locked', 'left')
) AS mail_users
""" % {"gib": GIB}


class Migration(migrations.Migration):
    dependencies = [
        ("mail", "0001_initial"),
        ("accounts", "0003_lifecycle_consent"),
        ("files", "0001_initial"),
        ("core", "0004_audit_event_type_without_choices"),
    ]

    operations = [
        migrations.RunSQL(VIEW, "DROP VIEW IF EXISTS schulhof_mail_users"),
    ]
