"""The accounts app's entries in the portal navigation and dashboard."""


def register_modules() -> None:
    """Called from AccountsConfig.ready()."""
