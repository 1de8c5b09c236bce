"""Account pages, one module per area: ``auth`` (login, logout, first password),
``profile`` (own account), ``first_passwords`` (delegated first passwords and letters),
``admin`` (user, group and privilege administration)."""
