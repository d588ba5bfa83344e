"""The debate's daily Noise Level: each day's share of relevant items against the trailing
28 days."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

LEVELS = ((3.0, "surge"), (2.0, "loud"), (1.0, "elevated"))


@dataclass(frozen=True)
class DayNoise:
    """One day of the debate: its share of relevant items against the trailing 28 days."""

    day: date
    relevant: int
    total: int
    share: float
    mean: float | None
    std: float | None
    z: float | None
    level: str


def noise_levels(days: Sequence[tuple[date, int, int]], window: int = 28,
                 min_history: int = 7) -> list[DayNoise]:
    """Return each day's Noise Level from (day, relevant items, all items) rows.

    The share of relevant items that day is compared with the mean and deviation of the
    shares of the previous ``window`` calendar days that had items: ≥ 3σ surge, ≥ 2σ loud,
    ≥ 1σ elevated, ≤ −1σ or no relevant item quiet, else normal. With fewer than
    ``min_history`` such days there is no baseline and the level is normal (or quiet).
    """
    rows = sorted(days)
    ordinals = [d.toordinal() for d, _, _ in rows]
    shares = [r / t if t else 0.0 for _, r, t in rows]
    out = []
    for i, (day, relevant, total) in enumerate(rows):
        lo = bisect_left(ordinals, ordinals[i] - window)
        history = shares[lo:i]
        share = shares[i]
        mean = std = z = None
        level = "normal"
        if len(history) >= min_history:
            mean = sum(history) / len(history)
            std = math.sqrt(sum((s - mean) ** 2 for s in history) / len(history))
            if std > 1e-9:
                z = (share - mean) / std
            elif math.isclose(share, mean, abs_tol=1e-9):
                z = 0.0
            else:
                z = math.copysign(math.inf, share - mean)
            level = next((name for limit, name in LEVELS if z >= limit), "normal")
            if z <= -1:
                level = "quiet"
        if relevant == 0:
            level = "quiet"
        out.append(DayNoise(day=day, relevant=relevant, total=total, share=round(share, 4),
                            mean=None if mean is None else round(mean, 4),
                            std=None if std is None else round(std, 4),
                            z=None if z is None or math.isinf(z) else round(z, 2),
                            level=level))
    return out
