"""When is a feed polled next? Pure policy: success, failure backoff, and disabling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# A feed that failed this many times in a row is disabled until an admin re-enables it.
DISABLE_AFTER_FAILURES = 20
# Backoff doubles per consecutive failure and stops growing here, so a recovered feed is noticed
# within a working day.
MAX_BACKOFF = timedelta(hours=12)
# A server's Retry-After is honoured but not beyond this, so one bad header cannot park a feed forever.
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class NextPoll:
    """The schedule decision after one poll."""

    at: datetime
    failures: int
    disable: bool


def after_success(now: datetime, interval_seconds: int) -> NextPoll:
    """A successful poll resets failures; the next poll is one interval away."""
    return NextPoll(at=now + timedelta(seconds=interval_seconds), failures=0, disable=False)


def after_failure(
    now: datetime, interval_seconds: int, previous_failures: int, retry_after: float | None = None
) -> NextPoll:
    """Exponential backoff from the interval, capped; disable after too many failures in a row."""
    failures = previous_failures + 1
    backoff = min(timedelta(seconds=interval_seconds) * (2 ** min(failures - 1, 16)), MAX_BACKOFF)
    if retry_after is not None:
        backoff = max(backoff, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return NextPoll(at=now + backoff, failures=failures, disable=failures >= DISABLE_AFTER_FAILURES)
