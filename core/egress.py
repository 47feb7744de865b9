"""Where alert channels may send: a guard against channel URLs aimed at the server's own network.

Anyone who can create an alert rule chooses URLs the notifier will connect to, so a rule could aim at
the cloud metadata service (169.254.169.254 hands out credentials) or at internal services. The
link-local, unspecified, multicast and reserved ranges are never a notification target and are always
refused. Loopback and private networks are where self-hosted receivers often live (an internal
Mattermost, a webhook relay), so they are allowed unless `LYNEX_ALERTS__ALLOW_PRIVATE_CHANNELS=false`,
which a deployment with open sign-up should set.

The check resolves the URL's host (for the schemes in HOST_SCHEMES, where the host is the server the
notifier connects to) and refuses if any address is in a refused range. A host that does not resolve
is not refused here: the delivery fails on its own.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why `address` may not be a channel target, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "link-local (cloud metadata services live there)"
    if address.is_loopback:  # before `is_reserved`: ::1 is in IPv6's reserved ::/8
        return None if allow_private else "loopback (LYNEX_ALERTS__ALLOW_PRIVATE_CHANNELS is false)"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "not a unicast address"
    if not allow_private and (address.is_private or address in _SHARED):
        return "a private network (LYNEX_ALERTS__ALLOW_PRIVATE_CHANNELS is false)"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; not `is_private` in Python


# Apprise schemes whose URL host is the server contacted. The others carry tokens where a host would
# be (slack://T…/B…, discord://id/token, tgram://bot/chat) and contact the service's public endpoint.
HOST_SCHEMES = frozenset(
    {
        "json", "jsons", "xml", "xmls", "form", "forms",  # generic webhooks
        "mailto", "mailtos",  # the SMTP server
        "ntfy", "ntfys", "gotify", "gotifys", "mmost", "mmosts", "rocket", "rockets",
        "apprise", "apprises", "matrix", "matrixs", "ncloud", "nclouds", "nctalk", "nctalks",
        "hassio", "hassios", "kodi", "kodis", "xbmc", "xbmcs", "mqtt", "mqtts", "rsyslog",
        "synology", "synologys", "signal", "signals", "misskey", "misskeys", "ryver", "bark", "barks",
    }
)  # fmt: skip


def channel_host(url: str) -> str | None:
    """The host a channel URL makes the notifier connect to, if its scheme names one."""
    try:
        parts = urlsplit(url)
        return parts.hostname if parts.scheme.lower() in HOST_SCHEMES else None
    except ValueError:
        return None


def blocked_target(url: str, *, allow_private: bool) -> str | None:
    """Why the channel URL may not be used ("host 169.254.169.254: link-local …"), or None.

    Resolves the host (blocking: call it in a thread from async code).
    """
    host = channel_host(url)
    if not host:
        return None
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return None
        addresses = {ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos}
    for address in sorted(addresses, key=str):
        reason = refusal(address, allow_private=allow_private)
        if reason:
            return f"host {host} ({address}) is {reason}"
    return None
