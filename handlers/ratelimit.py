"""A per-chat limit on commands, so one chat cannot flood the bot (or the feeds) with requests."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

COMMANDS_PER_MINUTE = 20
WINDOW = timedelta(minutes=1)


@dataclass
class CommandRateLimit:
    """Sliding one-minute window per chat. Only the first refused command of a burst gets an answer."""

    per_minute: int = COMMANDS_PER_MINUTE
    _seen: dict[str, deque[datetime]] = field(default_factory=dict)
    _warned: set[str] = field(default_factory=set)

    def check(self, chat_key: str, now: datetime) -> tuple[bool, float]:
        """(allowed, seconds until the next command is allowed); an allowed command is counted."""
        window = self._seen.setdefault(chat_key, deque())
        while window and window[0] <= now - WINDOW:
            window.popleft()
        if len(window) >= self.per_minute:
            return False, max(1.0, (window[0] + WINDOW - now).total_seconds())
        window.append(now)
        self._warned.discard(chat_key)
        if len(self._seen) > 10_000:  # forget idle chats so memory stays bounded
            for key in [key for key, times in self._seen.items() if not times or times[-1] <= now - WINDOW]:
                del self._seen[key]
        return True, 0.0

    def first_refusal(self, chat_key: str) -> bool:
        """True once per burst: later refused commands are dropped silently."""
        if chat_key in self._warned:
            return False
        self._warned.add(chat_key)
        return True
