"""A threaded TCP server for the mail gate's line protocols, bound to loopback only.

Each connection gets a thread (Postfix keeps a few connections open and reuses them); every
read is bounded in size and time, and the thread's database connection is closed when the
connection ends.
"""

from __future__ import annotations

import logging
import socket
import socketserver
from typing import Any

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

IDLE_TIMEOUT = 330.0  # Postfix closes idle policy/socketmap connections after 300 s


class GateServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[socketserver.BaseRequestHandler]):
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        log_connection_error(type(self).__name__, client_address)


def log_connection_error(server: str, client_address: object) -> None:
    """A connection that broke (the peer went away) is normal when servers restart; anything
    else is logged with its traceback, never printed to stderr."""
    import sys

    error = sys.exc_info()[1]
    if isinstance(error, (ConnectionError, TimeoutError)):
        logger.debug("%s: connection from %s ended: %s", server, client_address, error)
    else:
        logger.error("%s: request from %s failed", server, client_address, exc_info=error)


class GateHandler(socketserver.StreamRequestHandler):
    """Base handler: sets timeouts and cleans up the database connection."""

    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            self.serve()
        except (TimeoutError, ConnectionError, OSError):
            pass
        except Exception:
            logger.exception("mail gate: %s failed", type(self).__name__)
        finally:
            connections.close_all()

    def serve(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def run_query(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one lookup with a healthy database connection."""
        close_old_connections()
        return func(*args, **kwargs)
