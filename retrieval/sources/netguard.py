"""Where the fetcher may connect: public addresses only, checked at connect time.

A news bot fetches URLs and feeds given by people it does not know. Without a guard, a URL (or a
redirect, a feed entry's link, a robots.txt redirect) pointing at 127.0.0.1, 10.x, the cloud
metadata service or a LAN printer would be fetched and its content made quotable (SSRF).

`Guard` resolves a host and refuses it when any of its addresses is loopback, private, link-local,
carrier-grade NAT (100.64/10), unique local (fc00::/7), unspecified, multicast, reserved or a
cloud metadata endpoint; IPv4 written as one number (`2130706433`), in octal or hex, and IPv4
inside IPv6 (`::ffff:127.0.0.1`, 6to4, NAT64) are read as the address they are. `GuardedBackend`
is an httpcore network backend that connects to the very address it checked (no second DNS
lookup, so a DNS answer that changes between check and connect cannot slip through) while the
URL, Host header and TLS SNI keep the name. It also applies the current request `Deadline`.

`NEWSBOT_ALLOW_PRIVATE_URLS=1` lifts the private-address rule for trusted setups (tests, local
demos, an intranet news site); cloud metadata endpoints and credentials in URLs stay refused.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

from retrieval.errors import FetchError
from retrieval.sources import deadline as _deadline

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

OPT_IN = "NEWSBOT_ALLOW_PRIVATE_URLS=1"
# Cloud instance metadata services: credentials live there. Refused even with the opt-in.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"}
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LEGACY_IPV4 = re.compile(r"[0-9a-fA-FxX.]+")


class AddressRefused(FetchError):
    """The URL points at an address newsbot does not fetch from (private, local, metadata, credentials)."""


@dataclass(frozen=True)
class Refusal:
    address: str
    why: str


def redact(url: str) -> str:
    """`url` without any user name or password, fit to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an unparsable URL)"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"***@{host}" + (f":{parts.port}" if _port_or_none(parts) else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _port_or_none(parts) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def literal_ip(host: str) -> IPAddress | None:
    """The address a host names literally (also `2130706433`, `0x7f.1`, `0177.0.0.1`), else None."""
    host = host.strip().strip("[]").split("%", 1)[0].rstrip(".")
    if not host:
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # inet_aton accepts the forms browsers and curl still accept: one number, octal, hex, "127.1".
    if _LEGACY_IPV4.fullmatch(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def refusal_reason(ip: IPAddress, allow_private: bool = False) -> str | None:
    """Why newsbot will not connect to `ip` ("a loopback address", ...), or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = refusal_reason(embedded, allow_private)
            return f"{inner} inside an IPv6 address" if inner else None
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata service"
    if allow_private:
        return None
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT address"
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"):
        return "a unique local (private) address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private network address"
    if not ip.is_global:
        return "a reserved address"
    return None


class Guard:
    """The address policy: which hosts and addresses the fetcher may connect to."""

    def __init__(self, allow_private: bool = False, dns_timeout: float = 10.0) -> None:
        self.allow_private = allow_private
        self.dns_timeout = dns_timeout

    # -- checks without the network ----------------------------------------------------------

    def check_url(self, url: str) -> str:
        """Refuse URLs that carry credentials or name a refused host or address; return `url`."""
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise AddressRefused(
                f"{redact(url)} contains a user name or password; newsbot does not send credentials, "
                "give the address without them"
            )
        host = (parts.hostname or "").rstrip(".").lower()
        refusal = self.refuse_name(host)
        if refusal is not None:
            raise AddressRefused(self.message(url, refusal))
        return url

    def refuse_name(self, host: str) -> Refusal | None:
        """A refusal decided by the name alone (metadata names, localhost, literal addresses)."""
        host = host.rstrip(".").lower()
        if host in METADATA_NAMES:
            return Refusal(host, "a cloud metadata service")
        if not self.allow_private and (host == "localhost" or host.endswith(".localhost")):
            return Refusal(host, "a loopback address")
        ip = literal_ip(host)
        if ip is not None:
            why = self.refusal(host, ip)
            if why:
                return Refusal(str(ip), why)
        return None

    def refusal(self, host: str, ip: IPAddress) -> str | None:
        """Why `host` may not be reached at `ip` (None: it may). Tests override this to trust a name."""
        return refusal_reason(ip, self.allow_private)

    def message(self, url: str, refusal: Refusal) -> str:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        shown = refusal.address if refusal.address == host else f"{host} ({refusal.address})"
        return _refused(f"{redact(url)} points to {shown},", refusal.why)

    # -- resolution ---------------------------------------------------------------------------

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        """The addresses to connect to for `host`, all checked; raise AddressRefused if any is refused.

        Refusing when *any* answer is refused (not just the first) stops a DNS name that mixes a
        public and a private address from being tried on the private one.
        """
        host = host.rstrip(".").lower() if not host.startswith("[") else host
        refusal = self.refuse_name(host)
        if refusal is not None:
            shown = refusal.address if refusal.address == host else f"{host} ({refusal.address})"
            raise AddressRefused(_refused(f"{shown} is", refusal.why))
        ip = literal_ip(host)
        if ip is not None:
            return [str(ip)]
        found: list[str] = []
        for info in self._getaddrinfo(host, port, timeout):
            address = info[4][0]
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            why = self.refusal(host, ip)
            if why:
                raise AddressRefused(_refused(f"{host} resolves to {ip},", why))
            if address not in found:
                found.append(address)
        if not found:
            raise OSError(f"no address found for {host}")
        return found

    def _getaddrinfo(self, host: str, port: int, timeout: float | None) -> list[Any]:
        """getaddrinfo with a time limit (the C call has none of its own that we control)."""
        result: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                result["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                result["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="dns", daemon=True).start()
        limit = self.dns_timeout if timeout is None else min(timeout, self.dns_timeout)
        if not done.wait(limit):
            raise httpcore.ConnectTimeout(f"looking up {host} took longer than {limit:g}s")
        if "error" in result:
            raise httpcore.ConnectError(f"cannot resolve {host} ({result['error'].strerror or result['error']})")
        return result["ok"]


def _refused(subject: str, why: str) -> str:
    if "metadata" in why:
        return f"{subject} {why}; newsbot never fetches from it"
    return f"{subject} {why}; newsbot only fetches public sites ({OPT_IN} allows private addresses in a trusted setup)"


# -- the httpcore backend --------------------------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write also respects the current request deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    @staticmethod
    def _timeout(timeout: float | None, what: type[Exception]) -> float | None:
        d = _deadline.current()
        if d is None:
            return timeout
        if d.expired:
            raise what(f"the request took longer than its {d.seconds:g}s deadline")
        return d.cap(timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        inner = self._inner.start_tls(ssl_context, server_hostname, self._timeout(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolve and check the host, then connect to the checked address itself; deadlines apply."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self._sync = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout=None, local_address=None, socket_options=None):
        d = _deadline.current()
        if d is not None and d.expired:
            raise httpcore.ConnectTimeout(f"the request took longer than its {d.seconds:g}s deadline")
        cap = d.cap(timeout) if d is not None else timeout
        last: Exception | None = None
        for address in self.guard.addresses(host, port, cap):
            try:
                stream = self._sync.connect_tcp(
                    address, port, d.cap(timeout) if d is not None else timeout, local_address, socket_options
                )
                return _DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout=None, socket_options=None):
        raise AddressRefused("newsbot does not fetch over Unix sockets")

    def sleep(self, seconds: float) -> None:
        self._sync.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport (exception mapping, pooling, TLS) on top of `GuardedBackend`."""

    def __init__(self, guard: Guard, **kwargs) -> None:
        super().__init__(**kwargs)
        limits = kwargs.get("limits", httpx.Limits())
        ssl_context = httpx.create_ssl_context(verify=kwargs.get("verify", True))
        # Same pool httpx builds, but connections go through the guard (no proxy: the guard
        # would check the proxy's address, not the site's).
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=kwargs.get("http1", True),
            http2=kwargs.get("http2", False),
            network_backend=GuardedBackend(guard),
        )
