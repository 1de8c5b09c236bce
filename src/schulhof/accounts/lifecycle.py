"""Registries that let every module take part in a person's lifecycle.

- **Deletion**: when a leaver's grace period has run out (or an admin deletes an account),
  every module deletes the person's data through its registered step, before the account row
  itself is removed. Steps must be idempotent (a purge may be retried after a crash).
- **Export**: a person's data export (before deletion, or on request) collects files from
  every module's export step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schulhof.accounts.models import User

DeletionStep = Callable[["User"], None]


@dataclass(frozen=True)
class ExportItem:
    """One file of a person's data export: its path inside the archive and how to read it."""

    path: str
    open: Callable[[], Iterable[bytes]]
    size: int | None = None


ExportStep = Callable[["User"], Iterable[ExportItem]]

_deletion_steps: dict[str, DeletionStep] = {}
_export_steps: dict[str, ExportStep] = {}


def register_deletion_step(module: str, step: DeletionStep) -> None:
    """Register ``module``'s step that deletes all of a person's data in that module."""
    _deletion_steps[module] = step


def deletion_steps() -> dict[str, DeletionStep]:
    return dict(_deletion_steps)


def register_export_step(module: str, step: ExportStep) -> None:
    """Register ``module``'s step that lists a person's data for their export."""
    _export_steps[module] = step


def export_steps() -> dict[str, ExportStep]:
    return dict(_export_steps)
