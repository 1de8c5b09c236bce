"""Per-request context that actions may read (the client address for audit entries)."""

from contextvars import ContextVar

client_address: ContextVar[str | None] = ContextVar("client_address", default=None)
