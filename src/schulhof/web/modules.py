"""The portal's modules: navigation entries and dashboard cards, registered by each app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class PortalModule:
    key: str
    title: str | Promise
    # Shown on the dashboard card while the module has nothing to show yet.
    empty_state: str | Promise
    url_name: str | None = None
    icon: str = "dot"
    order: int = 100
    # Returns the card's context, or None when the module is empty for this user.
    card_context: Callable[[Any], dict[str, Any] | None] | None = None
    card_template: str | None = None
    visible: Callable[[Any], bool] = field(default=lambda user: True)
    # The URL namespace that is the module's own: its entry is marked current on all of its
    # pages, not only on ``url_name``.
    namespace: str = ""


_modules: dict[str, PortalModule] = {}
_placeholders: set[str] = set()


def register(module: PortalModule, *, placeholder: bool = False) -> PortalModule:
    """Register a module. A placeholder (the card of a module whose app is not installed)
    never replaces a real registration, whatever order the apps are loaded in."""
    if placeholder and module.key in _modules and module.key not in _placeholders:
        return _modules[module.key]
    _modules[module.key] = module
    _placeholders.discard(module.key)
    if placeholder:
        _placeholders.add(module.key)
    return module


def modules_for(user: Any) -> list[PortalModule]:
    return sorted((m for m in _modules.values() if m.visible(user)), key=lambda m: (m.order, m.key))
