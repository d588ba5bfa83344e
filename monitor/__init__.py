"""monitor: watches the public record of the open-weight AI model debate."""

from __future__ import annotations

__version__ = "0.1.0"
