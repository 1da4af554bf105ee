"""HTTP fetch (httpx): public addresses only, size and time caps, HTML as readable text.

Before each request (and each redirect, followed by hand) the host is
resolved and every address it resolves to must be public; loopback, private,
link-local, multicast and reserved addresses are refused unless
``allow_private``. The request then goes to the address checked (Host header
and TLS server name keep the host), so a DNS answer that changes between the
check and the connection (rebinding) cannot redirect it. The body is streamed
and cut at ``max_bytes``. HTML becomes readable Markdown with trafilatura
(main content only: navigation, adverts, footers and scripts dropped; measured
in bench/html_to_text.py), text and JSON pass through, anything else is
described, not shown.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from agentkit.agents import FunctionTool, ToolRetry, Toolset

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchLimits", "Resolver", "html_to_text", "http_tools"]

Resolver = Callable[[str], Awaitable[list[str]]]
"""``resolve(host) -> addresses``: how a host is resolved before it is allowed."""

_TEXT_TYPES = ("application/json", "application/xml", "application/xhtml+xml", "text/")
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class FetchLimits:
    """Caps for one fetch.

    Attributes:
        timeout: Seconds for the whole request (connect, headers and body).
        max_bytes: Bytes of body read (the rest is not downloaded).
        max_chars: Characters of text the model gets.
        max_redirects: Redirects followed (each target checked again).
    """

    timeout: float = 20.0
    max_bytes: int = 2_000_000
    max_chars: int = 40_000
    max_redirects: int = 5


async def _system_resolver(host: str) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _pinned(
    client: httpx.AsyncClient, method: str, url: str, body: str | None, address: str | None
) -> httpx.Request:
    """The request, sent to the address that was checked (no second DNS lookup to rebind).

    The host stays in the Host header and, for https, in the TLS server name,
    so the certificate is still verified against the host.
    """
    if address is None:
        return client.build_request(method, url, content=body)
    parts = urlsplit(url)
    ip = f"[{address}]" if ":" in address else address
    netloc = ip if parts.port is None else f"{ip}:{parts.port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    host = parts.netloc.rsplit("@", 1)[-1]
    return client.build_request(
        method,
        parts._replace(netloc=netloc).geturl(),
        content=body,
        headers={"host": host},
        extensions=extensions,
    )


def html_to_text(html: str, url: str | None = None) -> str:
    """The readable main text of an HTML page, as Markdown (trafilatura)."""
    import trafilatura

    text = trafilatura.extract(html, url=url, output_format="markdown", include_links=True)
    if not text:  # no main content found (a link list, a bare page): all visible text
        text = trafilatura.html2txt(html)
    return str(text or "").strip()


class _Fetcher:
    def __init__(
        self,
        limits: FetchLimits,
        allow_private: bool,
        resolve: Resolver,
        headers: dict[str, str],
    ) -> None:
        self.limits = limits
        self.allow_private = allow_private
        self.resolve = resolve
        self.headers = headers

    async def check(self, url: str) -> str | None:
        """Refuse ``url`` unless every address of its host is public; the address to use.

        None means "connect as the URL says" (an IP literal, or ``allow_private``).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ToolRetry(f"URL {url!r} is not http or https")
        host = parts.hostname
        if not host:
            raise ToolRetry(f"URL {url!r} has no host")
        if self.allow_private:
            return None
        literal = True
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            literal = False
            try:
                addresses = await self.resolve(host)
            except OSError as exc:
                raise ToolRetry(f"cannot resolve {host!r}: {exc}") from exc
        for address in addresses:
            if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
                raise ToolRetry(
                    f"{url!r} resolves to {address}, a private or local address; refused"
                )
        if not addresses:
            raise ToolRetry(f"{host!r} resolves to no address")
        return None if literal else addresses[0]

    async def request(self, method: str, url: str, body: str | None) -> str:
        import httpx  # the [http] extra

        async with httpx.AsyncClient(timeout=self.limits.timeout, headers=self.headers) as client:
            try:
                async with asyncio.timeout(self.limits.timeout):
                    return await self._follow(client, method, url, body)
            except TimeoutError as exc:
                raise ToolRetry(f"{url!r} did not answer within {self.limits.timeout:g} s") from exc
            except httpx.HTTPError as exc:
                raise ToolRetry(f"request to {url!r} failed: {type(exc).__name__}: {exc}") from exc

    async def _follow(
        self, client: httpx.AsyncClient, method: str, url: str, body: str | None
    ) -> str:
        for _ in range(self.limits.max_redirects + 1):
            request = _pinned(client, method, url, body, await self.check(url))
            response = await client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    if response.status_code == 303:
                        method, body = "GET", None
                    continue
                data, cut = await self._read(response)
            finally:
                await response.aclose()
            return self.render(url, response, data, cut)
        raise ToolRetry(f"more than {self.limits.max_redirects} redirects from {url!r}")

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data.extend(chunk)
            if len(data) > self.limits.max_bytes:
                return bytes(data[: self.limits.max_bytes]), True
        return bytes(data), False

    def render(self, url: str, response: httpx.Response, data: bytes, cut: bool) -> str:
        kind = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        head = f"{response.status_code} {url} ({kind or 'no content type'})"
        if kind in ("text/html", "application/xhtml+xml"):
            text = html_to_text(data.decode(response.encoding or "utf-8", errors="replace"), url)
        elif kind.startswith(_TEXT_TYPES) or kind.endswith(("+json", "+xml")):
            text = data.decode(response.encoding or "utf-8", errors="replace")
        else:
            return f"{head}\n[{len(data)} bytes of {kind or 'unknown type'}, not shown as text]"
        notes = []
        if cut:
            notes.append(f"[body cut at {self.limits.max_bytes} bytes]")
        if len(text) > self.limits.max_chars:
            notes.append(f"[text cut at {self.limits.max_chars} of {len(text)} characters]")
            text = text[: self.limits.max_chars]
        return "\n".join([head, text, *notes]).rstrip()


def http_tools(
    *,
    limits: FetchLimits | None = None,
    allow_private: bool = False,
    methods: Sequence[str] = ("GET",),
    needs_approval: bool | Callable[..., bool] = True,
    resolve: Resolver | None = None,
    headers: dict[str, str] | None = None,
) -> Toolset:
    """A `Toolset` named ``http``: ``fetch_url`` (GET), and ``http_request`` for other methods.

    Args:
        limits: Time, size and redirect caps.
        allow_private: Allow loopback and private addresses (off: they are refused).
        methods: The HTTP methods allowed; any beyond GET adds ``http_request``.
        needs_approval: ``needs_approval`` for ``http_request`` (GET never needs it).
        resolve: How hosts are resolved for the address check (default: the system's).
        headers: Headers sent with every request (e.g. a User-Agent).
    """
    fetcher = _Fetcher(
        limits or FetchLimits(),
        allow_private,
        resolve or _system_resolver,
        {"user-agent": "agentkit-fetch/0.1", **(headers or {})},
    )
    allowed = sorted({m.upper() for m in methods} - {"GET"})

    async def fetch_url(url: str) -> str:
        """Fetch a web page or file by GET; HTML comes back as readable text.

        Args:
            url: An http or https URL.
        """
        return await fetcher.request("GET", url, None)

    async def http_request(method: str, url: str, body: str | None = None) -> str:
        """Send an HTTP request with a method other than GET (it may change things).

        Args:
            method: The HTTP method.
            url: An http or https URL.
            body: The request body, if any.
        """
        if method.upper() not in allowed:
            raise ToolRetry(f"method {method!r} is not allowed; allowed: {', '.join(allowed)}")
        return await fetcher.request(method.upper(), url, body)

    tools: list[Any] = [FunctionTool(fetch_url, name="fetch_url")]
    if allowed:
        tools.append(FunctionTool(http_request, name="http_request", needs_approval=needs_approval))
    return Toolset(tools, name="http")
