"""Polls aligned to the Federal Register's releases: the shipped sources.yaml schedules the
FR sources by cron in America/New_York, right after each release, with jitter."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from monitor.config import load_config
from monitor.schedule import check_schedule, source_trigger

SHIPPED = Path(__file__).resolve().parent.parent / "sources.yaml"
ET = ZoneInfo("America/New_York")


@pytest.mark.parametrize("source_id,after,expected", [
    # public inspection: the morning list at 8:45 am, a special filing at 4:15 pm Eastern
    ("fr-public-inspection", "2025-01-10T08:45", "2025-01-10T08:50"),
    ("fr-public-inspection", "2025-01-10T16:15", "2025-01-10T16:20"),
    ("fr-public-inspection", "2025-01-10T16:51", "2025-01-13T08:20"),  # Friday -> Monday
    # the day's issue at 6:00 am Eastern
    ("fr-bis", "2025-01-15T06:00", "2025-01-15T06:05"),
    ("fr-term", "2025-07-15T06:00", "2025-07-15T06:05"),  # daylight time: still 6:05 ET
])
def test_federal_register_polls_follow_the_releases(source_id, after, expected):
    config = load_config(SHIPPED)
    settings = check_schedule(config)
    assert settings.timezone == "America/New_York" and settings.jitter > 0
    source = next(s for s in config.sources if s.id == source_id)
    trigger = source_trigger(source, settings, config)
    assert isinstance(trigger, CronTrigger) and trigger.jitter == settings.jitter
    trigger.jitter = None  # the time itself, without the random delay
    start = datetime.fromisoformat(after).replace(tzinfo=ET)
    fire = trigger.get_next_fire_time(None, start)
    assert fire.astimezone(ET).strftime("%Y-%m-%dT%H:%M") == expected
    assert source.interval > 0  # `monitor run` from cron still polls by interval


def test_jitter_only_delays_a_poll_within_its_bound():
    config = load_config(SHIPPED)
    settings = check_schedule(config)
    source = next(s for s in config.sources if s.id == "fr-public-inspection")
    trigger = source_trigger(source, settings, config)
    start = datetime(2025, 1, 10, 8, 45, tzinfo=ET)
    for _ in range(20):
        fire = trigger.get_next_fire_time(None, start).astimezone(ET)
        delay = (fire - datetime(2025, 1, 10, 8, 50, tzinfo=ET)).total_seconds()
        assert 0 <= delay <= settings.jitter
