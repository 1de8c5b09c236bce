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


_modules: dict[str, PortalModule] = {}


def register(module: PortalModule) -> PortalModule:
    _modules[module.key] = module
    return module


def modules_for(user: Any) -> list[PortalModule]:
    return sorted((m for m in _modules.values() if m.visible(user)), key=lambda m: (m.order, m.key))
