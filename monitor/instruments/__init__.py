"""Instruments: executive orders, rules, bills and proceedings, linked to the items that move
them, with a life cycle (pending -> in_force -> ended) and the outlook built from them. Pure.

``link.claims`` reads what one item says about which instrument; ``lifecycle.build`` turns
the claims into instruments (state, status, direction, evidence chain with conflicts);
``outlook.outlook`` answers the story page's question from them.
"""

from __future__ import annotations

from .lifecycle import build, direction, life_cycle, resolve
from .link import claims, rule_key, title_words
from .outlook import CAVEAT, DIRECTION_MONTHS, DIRECTION_RULE, forecast, outlook, transitions

__all__ = ["CAVEAT", "DIRECTION_MONTHS", "DIRECTION_RULE", "build", "claims", "direction",
           "forecast", "life_cycle", "outlook", "resolve", "rule_key", "title_words",
           "transitions"]
