"""Frozen data passed between the parts of monitor, named for the boundary it crosses.

``stages``: what flows through the pipeline (Source -> Fetched -> Item -> Signal -> Member ->
Plan); ``shown``: what the read side shows (rows, deadlines, the Report). Import from here.
"""

from __future__ import annotations

from .alerts import (  # noqa: F401
    LEVEL_ORDER,
    Alert,
    AlertRule,
    AlertSettings,
    AlertTarget,
    Arrival,
    LoggedAlert,
)
from .events import EventDetail, EventScore  # noqa: F401
from .instruments import (  # noqa: F401
    Claim,
    Direction,
    Forecast,
    Instrument,
    KeyPoint,
    Month,
    Outlook,
    State,
    Step,
    Travel,
    When,
    when_key,
    when_of,
    when_text,
)
from .official import Official  # noqa: F401
from .shown import (  # noqa: F401
    DaemonSettings,
    Deadline,
    EventRow,
    Report,
    SignalRow,
    SmtpSettings,
    SourceHealth,
)
from .stages import (  # noqa: F401
    AUTHORITIES,
    KINDS,
    ROLES,
    Assignment,
    AuthorityRule,
    Debate,
    Entity,
    Fetched,
    Item,
    Member,
    Parsed,
    Plan,
    Signal,
    Source,
    SourceRun,
    SourceState,
    Topic,
    TopicHit,
    authority_rank,
)
