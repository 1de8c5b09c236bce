"""Request middleware: the client address for audit entries, and security headers."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from schulhof.core import context


def client_address_of(request: HttpRequest) -> str | None:
    """The client's address. Behind a TLS proxy we trust the last X-Forwarded-For hop the proxy
    added; otherwise only the socket address (headers can be forged)."""
    if settings.SCHULHOF_CONFIG.behind_tls_proxy:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = client_address_of(request)
        request.client_address = address  # type: ignore[attr-defined]
        token = context.client_address.set(address)
        try:
            return self.get_response(request)
        finally:
            context.client_address.reset(token)


# Everything a page loads comes from us: no CDN, no web fonts or scripts from other hosts.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data: blob:",
        "style-src 'self'",
        "script-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
        )
        return response
