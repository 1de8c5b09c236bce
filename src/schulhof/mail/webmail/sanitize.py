"""HTML mail made safe to show: nh3 (ammonia) removes everything active, and we rewrite every
address the message could load.

- No scripts, no event handlers, no forms, frames, objects, SVG or MathML; ``javascript:``
  and other unknown link schemes are removed.
- Links open in a new tab with ``rel="noopener noreferrer"``; ``mailto:`` links open our own
  compose page instead of some program on the device.
- Remote images (``src``, ``srcset``, ``url()`` in CSS) are removed unless the person allowed
  them for this message; they are counted, so the page can offer "Externe Bilder anzeigen".
  ``cid:`` images of the message itself are rewritten to our own part URL.
- CSS stays (mails are laid out with it), in ``style`` attributes and ``<style>`` elements,
  but with every ``url()`` rewritten as above, no ``@import``, no ``image-set()``, and nothing
  with CSS escapes (which could spell ``url`` in a way a filter does not see).

This is the first of three layers: the result is served from a URL of its own into an
``<iframe sandbox>`` (no scripts even if something slipped through) with a CSP of its own
that allows images only from us and, when allowed, from the hosts counted here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import nh3

TAGS = (set(nh3.ALLOWED_TAGS) | {"style", "font", "center", "big", "tfoot", "section"}) - {
    "area",
    "map",
}
ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "class", "id", "dir", "lang", "title", "align", "valign", "width", "height"},
    "a": {"href", "name"},
    "img": {"src", "srcset", "alt", "border", "hspace", "vspace"},
    "font": {"color", "face", "size"},
    "table": {"border", "cellpadding", "cellspacing", "bgcolor", "summary", "frame", "rules"},
    "td": {"bgcolor", "colspan", "rowspan", "nowrap", "headers"},
    "th": {"bgcolor", "colspan", "rowspan", "nowrap", "scope", "headers"},
    "tr": {"bgcolor"},
    "tbody": {"bgcolor"},
    "thead": {"bgcolor"},
    "tfoot": {"bgcolor"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "hr": {"size", "noshade", "color"},
    "time": {"datetime"},
    "bdo": {"dir"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
SAFE_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp|bmp);", re.IGNORECASE)

_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
_CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))\s*\)", re.IGNORECASE)
_CSS_URL_START = re.compile(r"url\s*\(", re.IGNORECASE)
_CSS_FORBIDDEN = re.compile(
    r"expression|javascript:|vbscript:|behavior|-moz-binding|image-set|cross-fade|element\(|"
    r"@namespace|<|\\",
    re.IGNORECASE,
)
_STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_HOST = re.compile(r"^[a-z0-9.-]+$")
# Beyond this many image hosts, the CSP allows all (the person asked for them).
MAX_HOSTS = 40


@dataclass
class CleanHtml:
    """The sanitised fragment; ``blocked``: the remote image addresses left out;
    ``remote_origins``: the origins of remote images kept (for the frame's CSP)."""

    html: str = ""
    blocked: set[str] = field(default_factory=set)
    remote_origins: set[str] = field(default_factory=set)

    @property
    def blocked_count(self) -> int:
        return len(self.blocked)


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.match(host):
        return None
    return "%s://%s%s" % (parts.scheme.lower(), host, ":%d" % port if port else "")


class _Rewriter:
    def __init__(
        self,
        *,
        cid_url: Callable[[str], str | None],
        mailto_url: Callable[[str], str] | None,
        allow_remote: bool,
    ) -> None:
        self.cid_url = cid_url
        self.mailto_url = mailto_url
        self.allow_remote = allow_remote
        self.result = CleanHtml()

    def image(self, url: str) -> str | None:
        """The address an image may be loaded from instead of ``url``, or None."""
        url = url.strip()
        lowered = url.lower()
        if lowered.startswith("cid:"):
            return self.cid_url(unquote(url[4:]).strip("<>"))
        if lowered.startswith("data:"):
            return url if SAFE_DATA_IMAGE.match(url) else None
        if lowered.startswith(("http://", "https://", "//")):
            absolute = "https:" + url if url.startswith("//") else url
            origin = _origin(absolute)
            if self.allow_remote and origin:
                self.result.remote_origins.add(origin)
                return absolute
            self.result.blocked.add(absolute)
            return None
        return None

    def link(self, url: str) -> str | None:
        url = url.strip()
        lowered = url.lower()
        if lowered.startswith(("http://", "https://", "tel:")):
            return url
        if lowered.startswith("mailto:"):
            return self.mailto_url(url) if self.mailto_url else url
        return None

    def srcset(self, value: str) -> str | None:
        candidates = []
        for candidate in value.split(","):
            words = candidate.split()
            if not words:
                continue
            url = self.image(words[0])
            if url is not None:
                candidates.append(" ".join([url, *words[1:2]]))
        return ", ".join(candidates) or None

    def css(self, text: str) -> str:
        """CSS with every ``url()`` rewritten like an image; "" for CSS we cannot vouch for."""
        text = _CSS_COMMENT.sub(" ", text)
        text = _CSS_IMPORT.sub(" ", text)
        if _CSS_FORBIDDEN.search(text):
            return ""
        # An unclosed url( still loads (it runs to the end); only well-formed ones are kept.
        if len(_CSS_URL_START.findall(text)) != len(_CSS_URL.findall(text)):
            return ""

        def replace(match: re.Match[str]) -> str:
            url = next((group for group in match.groups() if group is not None), "")
            rewritten = self.image(url)
            if rewritten is None or '"' in rewritten or "\n" in rewritten:
                return "none"
            return 'url("%s")' % rewritten

        return _CSS_URL.sub(replace, text)

    def attribute(self, tag: str, name: str, value: str) -> str | None:
        if name == "href":
            return self.link(value)
        if name == "src":
            return self.image(value) if tag == "img" else None
        if name == "srcset":
            return self.srcset(value)
        if name == "style":
            return self.css(value) or None
        return value


def clean_html(
    html: str,
    *,
    cid_url: Callable[[str], str | None],
    mailto_url: Callable[[str], str] | None = None,
    allow_remote: bool = False,
) -> CleanHtml:
    """Sanitise an HTML mail body (see the module's docstring)."""
    rewriter = _Rewriter(cid_url=cid_url, mailto_url=mailto_url, allow_remote=allow_remote)
    cleaned = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "title", "noscript", "template", "textarea", "select"},
        attributes=ATTRIBUTES,
        attribute_filter=rewriter.attribute,
        strip_comments=True,
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        url_schemes=URL_SCHEMES,
    )
    # ammonia keeps the text of <style> as it came; our CSS filter does its part.
    rewriter.result.html = _STYLE_BLOCK.sub(
        lambda match: "<style>%s</style>" % rewriter.css(match.group(1)), cleaned
    )
    return rewriter.result


def frame_csp(clean: CleanHtml) -> str:
    """The Content-Security-Policy of the frame that shows ``clean``: nothing but images
    (ours, inline data, and the remote hosts the person allowed) and inline CSS."""
    images = ["'self'", "data:"]
    if len(clean.remote_origins) > MAX_HOSTS:
        images += ["https:", "http:"]
    else:
        images += sorted(clean.remote_origins)
    return "; ".join(
        [
            "default-src 'none'",
            "img-src " + " ".join(images),
            "style-src 'unsafe-inline'",
            "frame-ancestors 'self'",
            "form-action 'none'",
            "base-uri 'none'",
            "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox",
        ]
    )
