"""Downloading a page safely: public addresses only, bounded size and time, checked redirects."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

import httpcore
import httpx

from ingest.errors import IngestError

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "briefbot/0.1 (+news briefing Q&A bot)"
MAX_REDIRECTS = 5
# A download slower than this on average, after its first RATE_GRACE seconds, is given up:
# a page that trickles in one byte a second would otherwise hold a thread until the deadline.
MIN_RATE = 2_000  # bytes per second
RATE_GRACE = 10.0
_REDIRECTS = {301, 302, 303, 307, 308}
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class FetchedPage:
    """A downloaded page: the final URL after redirects, the status, the content type, the body."""

    url: str
    status: int
    content_type: str
    body: bytes
    # Validators for a conditional GET next time (feeds); 304 = not modified, empty body.
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304 Not Modified to a conditional request."""
        return self.status == 304

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-cased ("text/html")."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The charset parameter of the content type, if the server sent one."""
        message = Message()
        message["content-type"] = self.content_type
        charset = message.get_param("charset")
        return charset if isinstance(charset, str) else None


_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")


def _is_public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside IPv6 is judged as that IPv4 address: mapped (::ffff:a.b.c.d),
        # 6to4 (2002:aabb:ccdd::, which a 6to4 relay delivers to a.b.c.d) and Teredo.
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        elif address in _SIX_TO_FOUR and address.sixtofour is not None:
            address = address.sixtofour
        elif address.teredo is not None:
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10, shared carrier-grade NAT space
    )


class _AddressRefused(Exception):
    """A host that may not be fetched; the message is the reason shown to the user."""


class _VettedConnections(httpcore.NetworkBackend):
    """Opens connections only to addresses vetted at the moment of connecting.

    The host name is resolved here, once, and the socket opened to the vetted address itself.
    Left to itself the HTTP stack would resolve the name again after the check, so a name that
    answers with a public address for the check and a private one a moment later (DNS
    rebinding) would reach the private network. TLS still checks the certificate against the
    host name, which httpcore passes on separately.
    """

    def __init__(self, vet: Callable[[str, int], list[str]]) -> None:
        self._vet = vet
        self._plain = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._vet(host, port)
        for address in addresses[:-1]:
            try:
                return self._plain.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue  # the name has other vetted addresses: try the next one
        return self._plain.connect_tcp(addresses[-1], port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("briefbot fetches over TCP only")

    def sleep(self, seconds: float) -> None:
        self._plain.sleep(seconds)


# httpcore's errors as the httpx errors the rest of this module (and httpx's users) expect;
# the most specific first.
_ERRORS: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as e:
        mapped = next((ours for theirs, ours in _ERRORS if isinstance(e, theirs)), None)
        if mapped is None:
            raise
        raise mapped(str(e)) from e


class _Body(httpx.SyncByteStream):
    """A response body read from httpcore's stream, its errors as httpx's."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx_errors():
            yield from self._stream

    def close(self) -> None:
        closer = getattr(self._stream, "close", None)
        if closer is not None:
            closer()


class _PinnedTransport(httpx.BaseTransport):
    """An httpx transport over httpcore's public `ConnectionPool(network_backend=...)`, whose
    backend opens connections only to vetted addresses (_VettedConnections)."""

    def __init__(self, vet: Callable[[str, int], list[str]]) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            network_backend=_VettedConnections(vet),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=request.extensions,  # the timeouts travel here
        )
        with _as_httpx_errors():
            response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),  # type: ignore[arg-type]
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _vetted_client(
    vet: Callable[[str, int], list[str]], event_hooks: Mapping[str, Sequence[Any]] | None
) -> httpx.Client:
    # trust_env=False: library code reads no environment, and a proxy from HTTP_PROXY would
    # make the address checks meaningless.
    return httpx.Client(
        transport=_PinnedTransport(vet),
        trust_env=False,
        follow_redirects=False,
        event_hooks={k: list(v) for k, v in (event_hooks or {}).items()},
    )


class UrlFetcher:
    """Fetches http(s) pages from public addresses only (checked before sending a request and
    again, pinned, when connecting), with bounded size and time and checked redirects.

    `event_hooks` are httpx's (e.g. {"request": [callable]}), for tests that watch requests.
    """

    def __init__(
        self,
        max_bytes: int = 10_000_000,
        timeout: float = 20.0,
        deadline: float = 60.0,
        allowed_private: tuple[str, ...] = (),
        user_agent: str = DEFAULT_USER_AGENT,
        event_hooks: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout  # for each connect and each read
        self.deadline = deadline  # for the whole download, redirects included
        self.user_agent = user_agent
        self._allowed_hosts: set[str] = set()
        self._allowed_networks: list[_Network] = []
        for entry in allowed_private:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.strip().lower().rstrip("."))
        self._client = _vetted_client(self._vetted_addresses, event_hooks)

    def close(self) -> None:
        """Close the HTTP client and its connections."""
        self._client.close()

    def __enter__(self) -> UrlFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> FetchedPage:
        """Download url, following up to 5 redirects, each hop checked; IngestError on failure.

        `headers` are sent with every request, e.g. If-None-Match / If-Modified-Since for a
        conditional GET: a 304 answer is returned (status 304, empty body), not raised.
        The whole download, redirects included, ends within `deadline` seconds (plus at most
        one read's `timeout`), and is given up early if it comes in slower than MIN_RATE.
        """
        started = time.monotonic()
        current = self._parse(url, url)
        for _ in range(MAX_REDIRECTS + 1):
            self._check_address(url, current)
            response = self._open(url, current, headers or {}, started)
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    logger.info("%s redirected (HTTP %s)", current.host, response.status_code)
                    current = self._parse(url, self._location(url, current, response))
                    continue
                return self._read(url, current, response, started)
            finally:
                response.close()
        raise IngestError(
            url, f"the link redirects more than {MAX_REDIRECTS} times; send the final address"
        )

    def _location(self, source: str, url: httpx.URL, response: httpx.Response) -> str:
        try:
            return str(url.join(response.headers["location"]))
        except httpx.InvalidURL as e:
            raise IngestError(
                source, "the site redirected to an invalid address; send the final link"
            ) from e

    def _parse(self, source: str, url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as e:
            raise IngestError(source, f"this is not a valid web address ({e})") from e
        if parsed.scheme not in ("http", "https"):
            scheme = parsed.scheme or "no scheme"
            raise IngestError(source, f"only http and https links are supported, not {scheme}")
        if not parsed.host:
            raise IngestError(source, "the web address has no host name; check the link")
        return parsed

    def _allowed(self, host: str, address: _Address) -> bool:
        if host.lower().rstrip(".") in self._allowed_hosts:
            return True
        return any(address in network for network in self._allowed_networks)

    def _check_address(self, source: str, url: httpx.URL) -> None:
        """Refuse the URL's host before any request if it resolves to a non-public address."""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            # raw_host is the ASCII (punycode) form, so resolution never guesses an IDNA variant.
            self._vetted_addresses(url.raw_host.decode("ascii"), port, shown=url.host)
        except UnicodeError as e:
            raise IngestError(
                source, f"the host {url.host} could not be found; check the link for typos"
            ) from e
        except _AddressRefused as e:
            raise IngestError(source, str(e)) from e

    def _vetted_addresses(self, host: str, port: int, shown: str = "") -> list[str]:
        """The host's addresses, all public or explicitly allowed; _AddressRefused otherwise.

        `host` is the ASCII form that is resolved; `shown` the form the user wrote, for messages.
        """
        shown = shown or host
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise _AddressRefused(
                f"the host {shown} could not be found; check the link for typos"
            ) from e
        addresses = []
        for info in infos:
            literal = str(info[4][0])
            address = ipaddress.ip_address(literal.split("%", 1)[0])
            if not _is_public(address) and not self._allowed(shown, address):
                logger.warning("refused %s: resolves to non-public address %s", shown, address)
                raise _AddressRefused(
                    f"{shown} points to a private or local network address ({address}), "
                    "which briefbot does not fetch; send a public link"
                )
            if literal not in addresses:
                addresses.append(literal)
        if not addresses:
            raise _AddressRefused(f"the host {shown} could not be found; check the link for typos")
        return addresses

    def _open(
        self, source: str, url: httpx.URL, headers: dict[str, str], started: float
    ) -> httpx.Response:
        left = self.deadline - (time.monotonic() - started)
        if left <= 0:
            raise self._too_slow(source, url)
        request = self._client.build_request(
            "GET",
            url,
            headers={"User-Agent": self.user_agent, "Accept": "*/*", **headers},
            timeout=httpx.Timeout(min(self.timeout, left)),
        )
        try:
            return self._client.send(request, stream=True, follow_redirects=False)
        except _AddressRefused as e:  # the name changed its answer since _check_address
            raise IngestError(source, str(e)) from e
        except httpx.HTTPError as e:
            raise self._error(source, url, e) from e

    def _read(
        self, source: str, url: httpx.URL, response: httpx.Response, started: float
    ) -> FetchedPage:
        status = response.status_code
        etag = response.headers.get("etag", "")
        last_modified = response.headers.get("last-modified", "")
        if status == 304:
            logger.info("%s: not modified", url.host)
            return FetchedPage(str(response.url), status, "", b"", etag, last_modified)
        if status >= 400:
            logger.info("%s answered HTTP %s", url.host, status)
            reason = response.reason_phrase or httpx.codes.get_reason_phrase(status)
            raise IngestError(
                source, f"the server answered HTTP {status} {reason}; check that the link works"
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_big(source)
        body = bytearray()
        try:
            for chunk in response.iter_bytes():  # as it arrives, so the clock is checked
                body += chunk
                if len(body) > self.max_bytes:
                    logger.warning(
                        "%s: download stopped at the %d-byte cap", url.host, self.max_bytes
                    )
                    raise self._too_big(source)
                elapsed = time.monotonic() - started
                if elapsed > self.deadline or (
                    elapsed > RATE_GRACE and len(body) < MIN_RATE * elapsed
                ):
                    logger.warning("%s: download stopped after %.0f s", url.host, elapsed)
                    raise self._too_slow(source, url)
        except httpx.HTTPError as e:
            raise self._error(source, url, e) from e
        logger.info("fetched %s: HTTP %s, %d bytes", url.host, status, len(body))
        content_type = response.headers.get("content-type", "")
        return FetchedPage(
            str(response.url), status, content_type, bytes(body), etag, last_modified
        )

    def _too_big(self, source: str) -> IngestError:
        return IngestError(
            source,
            f"the page is larger than the {self.max_bytes:,}-byte download limit; "
            "raise MAX_DOWNLOAD_BYTES to allow it",
        )

    def _too_slow(self, source: str, url: httpx.URL) -> IngestError:
        return IngestError(
            source,
            f"{url.host} sent the page too slowly (stopped after at most {self.deadline:g} s); "
            "the site may be overloaded, try again later",
        )

    def _error(self, source: str, url: httpx.URL, error: httpx.HTTPError) -> IngestError:
        logger.info("%s: %s", url.host, type(error).__name__)
        if isinstance(error, httpx.TimeoutException):
            return IngestError(
                source,
                f"{url.host} timed out after {self.timeout:g} s; the site may be slow or down, "
                "try again later",
            )
        if isinstance(error, httpx.ConnectError):
            return IngestError(
                source, f"could not connect to {url.host}; the site may be down, try again later"
            )
        return IngestError(
            source, f"the download from {url.host} failed ({type(error).__name__}); try again later"
        )
