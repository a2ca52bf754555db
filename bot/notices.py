"""Private notices to the bot's administrators (ELECTIONWATCH_ADMINS), e.g. when a feed is suspended."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.app import Platform
from bot.models import FeedRecord, PollReport
from bot.pipeline.schedule import DISABLE_AFTER_FAILURES

log = logging.getLogger(__name__)


def suspension_notice(feed: FeedRecord, report: PollReport) -> str:
    """What an admin reads when a feed is suspended: which feed, why, and how to bring it back."""
    return (
        f"Feed suspended: {feed.label} ({feed.url}) failed {DISABLE_AFTER_FAILURES} polls in a row "
        f"and is no longer polled.\nLast error: {report.error}\n"
        f"Resume it with /resumefeed {feed.id} once the source works again."
    )


class AdminNotifier:
    """Sends a notice to every admin on a running platform; a failed notice is logged, never raised."""

    def __init__(self, admins: Iterable[str], platforms: Iterable[Platform]) -> None:
        self.admins = sorted(admins)
        self.platforms = {platform.name: platform for platform in platforms}

    async def tell(self, text: str) -> int:
        """Notify the admins; returns how many notices were accepted."""
        told = 0
        for admin in self.admins:
            platform_name, _, user_id = admin.partition(":")
            platform = self.platforms.get(platform_name)
            if platform is None:
                continue
            try:
                await platform.tell(user_id, text)
            except Exception as error:  # an unreachable admin must not stop polling
                log.warning("could not notify admin %s: %s", admin, error)
            else:
                told += 1
        if not told:
            log.warning("%s", text)
        return told
