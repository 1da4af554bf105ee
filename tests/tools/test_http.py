"""HTTP fetch (respx at the transport): readable HTML, caps, content types, no private addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from agentkit import ToolRetry
from agentkit.tools import FetchLimits, http_tools

ARTICLE = (Path(__file__).parent / "pages/article.synthetic.html").read_text()
PUBLIC = {"example.com": ["93.184.215.14"], "docs.example.com": ["2606:2800:21f:cb07::1"]}


async def fake_resolve(host: str) -> list[str]:
    return {
        **PUBLIC,
        "intranet.example.com": ["10.0.0.7"],
        "mixed.example.com": ["93.184.215.14", "127.0.0.1"],
    }.get(host, [])


@pytest.fixture
def web() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


def fetch(**options: object) -> object:
    return http_tools(resolve=fake_resolve, **options).get("fetch_url").fn  # type: ignore[arg-type]


async def test_html_becomes_its_main_text(web: respx.MockRouter) -> None:
    # Sent to the address that was checked, with the host in the Host header.
    route = web.get("https://93.184.215.14/post").respond(200, html=ARTICLE)
    text = await fetch()(url="https://example.com/post")  # type: ignore[operator]
    sent = route.calls.last.request
    assert sent.headers["host"] == "example.com"
    assert sent.extensions["sni_hostname"] == "example.com"
    first, rest = text.split("\n", 1)
    assert first == "200 https://example.com/post (text/html)"
    assert "no model call is paid twice" in " ".join(rest.split())
    assert "- Model calls are never repaid." in rest
    for boilerplate in ("Pricing", "Buy our cloud", "All rights reserved", "TRACKING_ID"):
        assert boilerplate not in rest


async def test_json_passes_through_and_binary_is_described(web: respx.MockRouter) -> None:
    web.get("https://93.184.215.14/api").respond(200, json={"ok": True})
    web.get("https://93.184.215.14/a.pdf").respond(
        200, content=b"%PDF-1.7 \x00\x01", headers={"content-type": "application/pdf"}
    )
    get = fetch()
    assert await get(url="https://example.com/api") == (  # type: ignore[operator]
        '200 https://example.com/api (application/json)\n{"ok":true}'
    )
    assert await get(url="https://example.com/a.pdf") == (  # type: ignore[operator]
        "200 https://example.com/a.pdf (application/pdf)\n"
        "[11 bytes of application/pdf, not shown as text]"
    )


async def test_size_and_text_caps(web: respx.MockRouter) -> None:
    web.get("https://93.184.215.14/big").respond(200, text="z" * 5000)
    get = fetch(limits=FetchLimits(max_bytes=1000, max_chars=100))
    assert (
        await get(url="https://example.com/big")
        == (  # type: ignore[operator]
            "200 https://example.com/big (text/plain)\n" + "z" * 100 + "\n"
            "[body cut at 1000 bytes]\n[text cut at 100 of 1000 characters]"
        )
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8080/admin", "127.0.0.1, a private or local address"),
        ("http://[::1]/", "::1, a private or local address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a private"),
        ("http://10.1.2.3/", "10.1.2.3, a private"),
        ("http://intranet.example.com/", "10.0.0.7, a private"),
        ("http://mixed.example.com/", "127.0.0.1, a private"),
        ("http://0.0.0.0/", "0.0.0.0, a private"),
        ("file:///etc/passwd", "is not http or https"),
        ("http://nowhere.example.com/", "resolves to no address"),
    ],
)
async def test_private_and_local_addresses_are_refused(
    web: respx.MockRouter, url: str, why: str
) -> None:
    route = web.route().respond(200, text="should not be reached")
    with pytest.raises(ToolRetry, match=why.replace("[", r"\[").replace(".", r"\.")):
        await fetch()(url=url)  # type: ignore[operator]
    assert not route.called


async def test_a_redirect_to_a_private_address_is_refused(web: respx.MockRouter) -> None:
    web.get("https://93.184.215.14/go").respond(302, headers={"location": "http://127.0.0.1/"})
    inner = web.get("http://127.0.0.1/").respond(200, text="secret")
    with pytest.raises(ToolRetry, match=r"127\.0\.0\.1, a private or local address"):
        await fetch()(url="https://example.com/go")  # type: ignore[operator]
    assert not inner.called


async def test_allow_private_reaches_loopback(web: respx.MockRouter) -> None:
    web.get("http://127.0.0.1:9/health").respond(200, text="ok")
    get = fetch(allow_private=True)
    assert await get(url="http://127.0.0.1:9/health") == (  # type: ignore[operator]
        "200 http://127.0.0.1:9/health (text/plain)\nok"
    )


async def test_other_methods_are_a_separate_tool_that_needs_approval(
    web: respx.MockRouter,
) -> None:
    assert [t.name for t in http_tools()] == ["fetch_url"]
    tools = http_tools(methods=["GET", "POST"], resolve=fake_resolve)
    request = tools.get("http_request")
    assert request.needs_approval is True
    posted = web.post("https://93.184.215.14/form").respond(201, text="created")
    assert await request.fn(method="post", url="https://example.com/form", body="a=1") == (
        "201 https://example.com/form (text/plain)\ncreated"
    )
    assert posted.calls.last.request.content == b"a=1"
    with pytest.raises(ToolRetry, match="method 'DELETE' is not allowed; allowed: POST"):
        await request.fn(method="DELETE", url="https://example.com/form")


async def test_a_timeout_is_a_clear_tool_result(web: respx.MockRouter) -> None:
    web.get("https://93.184.215.14/slow").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(
        ToolRetry, match=r"request to .https://example\.com/slow. failed: ReadTimeout"
    ):
        await fetch()(url="https://example.com/slow")  # type: ignore[operator]


async def test_an_ipv6_host_is_pinned_with_its_port(web: respx.MockRouter) -> None:
    route = web.get("https://[2606:2800:21f:cb07::1]:8443/doc").respond(200, text="v6")
    get = fetch()
    assert await get(url="https://docs.example.com:8443/doc") == (  # type: ignore[operator]
        "200 https://docs.example.com:8443/doc (text/plain)\nv6"
    )
    assert route.calls.last.request.headers["host"] == "docs.example.com:8443"
