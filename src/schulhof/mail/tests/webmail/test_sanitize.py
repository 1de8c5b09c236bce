"""Sanitising HTML mail: nothing active survives, nothing loads from elsewhere unless
allowed, cid images go through our URLs."""

from __future__ import annotations

import pytest

from schulhof.mail.webmail.sanitize import CleanHtml, clean_html, frame_csp


def clean(html: str, *, allow_remote: bool = False) -> CleanHtml:
    return clean_html(
        html,
        cid_url=lambda cid: "/mail/teil/INBOX/1/3/?inline=1" if cid == "logo@x" else None,
        mailto_url=lambda url: "/mail/verfassen/?mailto=" + url,
        allow_remote=allow_remote,
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<body onload="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="https://evil.example/x.swf"></object>',
        '<embed src="https://evil.example/x.swf">',
        '<form action="https://evil.example/"><input name="pw"></form>',
        '<svg onload="alert(1)"><script>alert(1)</script></svg>',
        "<math><mtext><script>alert(1)</script></mtext></math>",
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        '<base href="https://evil.example/">',
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<div style="width: expression(alert(1))">x</div>',
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    ],
)
def test_nothing_active_survives(hostile: str) -> None:
    result = clean("<p>Hallo</p>" + hostile).html.lower()
    for bad in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "vbscript:",
        "<iframe",
        "<object",
        "<embed",
        "<form",
        "<input",
        "<svg",
        "<math",
        "<meta",
        "<link",
        "<base",
        "expression(",
        "evil.example",
        "data:text",
        "image/svg",
    ):
        assert bad not in result, (hostile, result)
    assert "hallo" in result


def test_remote_images_are_blocked_and_counted() -> None:
    result = clean(
        '<img src="https://tracker.example/p.gif" alt="Logo">'
        '<img srcset="https://a.example/1.png 1x, //b.example/2.png 2x">'
        "<div style=\"background-image: url('http://c.example/bg.jpg')\">x</div>"
        "<style>td { background: url(https://d.example/t.png) no-repeat }</style>"
        '<img src="https://tracker.example/p.gif">'
    )
    assert result.blocked == {
        "https://tracker.example/p.gif",
        "https://a.example/1.png",
        "https://b.example/2.png",
        "http://c.example/bg.jpg",
        "https://d.example/t.png",
    }
    assert result.blocked_count == 5
    assert ".example" not in result.html
    assert '<img alt="Logo">' in result.html
    assert "background: none no-repeat" in result.html
    assert result.remote_origins == set()
    assert "example" not in frame_csp(result)


def test_remote_images_when_allowed_go_into_the_csp() -> None:
    result = clean(
        '<img src="https://tracker.example/p.gif">'
        '<img srcset="https://a.example:8443/1.png 1x">'
        '<div style="background: url(http://c.example/bg.jpg)">x</div>',
        allow_remote=True,
    )
    assert result.blocked == set()
    assert 'src="https://tracker.example/p.gif"' in result.html
    assert result.remote_origins == {
        "https://tracker.example",
        "https://a.example:8443",
        "http://c.example",
    }
    csp = frame_csp(result)
    assert (
        "img-src 'self' data: http://c.example https://a.example:8443 https://tracker.example;"
        in csp
    )
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "sandbox allow-same-origin allow-popups allow-popups-to-escape-sandbox" in csp


def test_css_that_could_hide_a_url_is_dropped() -> None:
    for css in (
        "background: u\\72l(https://evil.example/x.png)",
        "background: url(https://evil.example/x.png",
        "background-image: image-set('https://evil.example/x.png' 1x)",
        "behavior: url(x.htc)",
        "-moz-binding: url(x.xml#y)",
    ):
        result = clean('<p style="%s">x</p>' % css.replace('"', "&quot;"))
        assert "evil" not in result.html and "style=" not in result.html, css
    result = clean("<style>@import url(https://evil.example/x.css); p { color: red }</style>")
    assert "evil" not in result.html and "@import" not in result.html
    assert "p { color: red }" in result.html


def test_cid_and_data_images() -> None:
    result = clean(
        '<img src="cid:logo@x"><img src="cid:unknown@x">'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
        '<div style="background: url(cid:logo@x)">x</div>'
    )
    assert '<img src="/mail/teil/INBOX/1/3/?inline=1">' in result.html
    assert "<img><img" in result.html.replace('src="/mail/teil/INBOX/1/3/?inline=1"', "")
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in result.html
    assert "url(&quot;/mail/teil/INBOX/1/3/?inline=1&quot;)" in result.html
    assert result.blocked_count == 0


def test_links_open_in_a_new_tab_without_referrer_and_mailto_opens_compose() -> None:
    result = clean(
        '<a href="https://schule.example/">Schule</a><a href="mailto:info@schule.example">M</a>'
        '<a href="/relativ">R</a><a href="#oben">O</a>'
    )
    assert (
        '<a href="https://schule.example/" target="_blank" rel="noopener noreferrer">Schule</a>'
        in result.html
    )
    assert 'href="/mail/verfassen/?mailto=mailto:info@schule.example"' in result.html
    assert 'href="/relativ"' not in result.html and 'href="#oben"' not in result.html


def test_layout_survives() -> None:
    result = clean(
        '<table width="600" cellpadding="4" bgcolor="#ffffff"><tr>'
        '<td style="color: #333; font-size: 14px" align="center"><font color="red">Hi</font>'
        "</td></tr></table><center>Mitte</center>"
    )
    assert 'width="600"' in result.html and 'bgcolor="#ffffff"' in result.html
    assert 'style="color: #333; font-size: 14px"' in result.html
    assert '<font color="red">Hi</font>' in result.html
    assert "<center>Mitte</center>" in result.html
