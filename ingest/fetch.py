"""Downloading a page safely: public addresses only, bounded size and time, checked redirects."""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from email.message import Message

import httpx

from ingest.errors import IngestError

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "briefbot/0.1 (+news briefing Q&A bot)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
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


def _is_public(address: _Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10, shared carrier-grade NAT space
    )


class UrlFetcher:
    """Fetches http(s) pages, refusing private addresses before connecting and capping size."""

    def __init__(
        self,
        max_bytes: int = 10_000_000,
        timeout: float = 20.0,
        allowed_private: tuple[str, ...] = (),
        client: httpx.Client | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.user_agent = user_agent
        self._allowed_hosts: set[str] = set()
        self._allowed_networks: list[_Network] = []
        for entry in allowed_private:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.strip().lower().rstrip("."))
        self._owns_client = client is None
        # trust_env=False: library code reads no environment, and a proxy from HTTP_PROXY would
        # make the address checks below meaningless.
        self._client = client or httpx.Client(trust_env=False, follow_redirects=False)

    def close(self) -> None:
        """Close the HTTP client if this fetcher created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> UrlFetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> FetchedPage:
        """Download url, following up to 5 redirects, each hop checked; IngestError on failure.

        `headers` are sent with every request, e.g. If-None-Match / If-Modified-Since for a
        conditional GET: a 304 answer is returned (status 304, empty body), not raised.
        """
        current = self._parse(url, url)
        for _ in range(MAX_REDIRECTS + 1):
            self._check_address(url, current)
            response = self._open(url, current, headers or {})
            try:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    logger.info("%s redirected (HTTP %s)", current.host, response.status_code)
                    current = self._parse(url, self._location(url, current, response))
                    continue
                return self._read(url, current, response)
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
        """Resolve the host and refuse any non-public address that is not explicitly allowed."""
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            # raw_host is the ASCII (punycode) form, so resolution never guesses an IDNA variant.
            infos = socket.getaddrinfo(url.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise IngestError(
                source, f"the host {host} could not be found; check the link for typos"
            ) from e
        for info in infos:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
            if not _is_public(address) and not self._allowed(host, address):
                logger.warning("refused %s: resolves to non-public address %s", host, address)
                raise IngestError(
                    source,
                    f"{host} points to a private or local network address ({address}), "
                    "which briefbot does not fetch; send a public link",
                )

    def _open(self, source: str, url: httpx.URL, headers: dict[str, str]) -> httpx.Response:
        request = self._client.build_request(
            "GET",
            url,
            headers={"User-Agent": self.user_agent, "Accept": "*/*", **headers},
            timeout=httpx.Timeout(self.timeout),
        )
        try:
            return self._client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as e:
            raise self._error(source, url, e) from e

    def _read(self, source: str, url: httpx.URL, response: httpx.Response) -> FetchedPage:
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
            for chunk in response.iter_bytes(_CHUNK):
                body += chunk
                if len(body) > self.max_bytes:
                    logger.warning(
                        "%s: download stopped at the %d-byte cap", url.host, self.max_bytes
                    )
                    raise self._too_big(source)
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
