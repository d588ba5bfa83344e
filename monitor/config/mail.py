"""The `smtp:` section (where digests are mailed) and the check of one email address.

The password is not here: it comes from MONITOR_SMTP_PASSWORD when a digest is sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from ..types import SmtpSettings
from .settings import Config
from .yamlmap import Place, is_number

_SMTP_KEYS = ("from", "host", "port", "security", "timeout", "to", "user")
_SECURITY = ("starttls", "tls", "none")
_ADDRESS = re.compile(r"^[^@\s<>,;\r\n]+@[^@\s<>,;\r\n]+\.[^@\s<>,;\r\n]+$")


def check_address(address: str, place: Place | None = None, key: str = "to") -> str:
    """Return the address if it is one plain mailbox (user@host.tld); raise ConfigError."""
    text = str(address).strip()
    if not _ADDRESS.match(text):
        message = f"{text!r} is not an email address like analyst@example.org"
        raise place.error(message, key) if place else ConfigError(message, key=key)
    return text


def read_smtp(raw: Any, top: Place) -> SmtpSettings | None:
    """Return the settings of the `smtp:` section, or None when there is none."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise top.error("must be a mapping with host, port, security, from and to", "smtp")
    place = top.at("smtp", entry="smtp")
    place.check_keys(raw, _SMTP_KEYS)
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        raise place.error("host is required", "host")
    security = raw.get("security", "starttls")
    if security not in _SECURITY:
        raise place.error("security must be starttls, tls or none", "security")
    port = raw.get("port", 465 if security == "tls" else 587)
    if not is_number(port, whole=True) or not 0 < port < 65536:
        raise place.error("port must be a number from 1 to 65535", "port")
    sender = check_address(str(raw.get("from") or ""), place, "from")
    to = raw.get("to") or []
    to = [to] if isinstance(to, str) else to
    if not isinstance(to, list):
        raise place.error("to must be an address or a list of them", "to")
    timeout = raw.get("timeout", 30)
    if not is_number(timeout) or timeout <= 0:
        raise place.error("timeout must be a positive number of seconds", "timeout")
    user = raw.get("user")
    return SmtpSettings(host=host.strip(), port=port, security=security,
                        user=str(user) if user else None, sender=sender,
                        to=tuple(check_address(a, place) for a in to), timeout=float(timeout))


def smtp_settings(config: Config) -> SmtpSettings:
    """Return the `smtp:` section, validated at load; raise ConfigError when there is none."""
    if config.smtp is None:
        raise ConfigError("no smtp section: add host, port, security, from and to to send "
                          "digests", file=config.path, key="smtp")
    return config.smtp
