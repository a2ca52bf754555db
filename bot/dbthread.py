"""One thread for all database work, so SQLite never blocks the event loop and calls never overlap.

A second thread runs checkpoints after writes, so that the work thread never copies the write-ahead log.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, Protocol, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class Checkpoints(Protocol):
    """Copies the write-ahead log into the database file (``storage.Checkpointer``)."""

    def __call__(self) -> None:
        """Checkpoint now."""
        ...

    def close(self) -> None:
        """Release its connection."""
        ...


class DbThread:
    """Runs synchronous store calls on a single dedicated thread (datasette's write-thread idea)."""

    def __init__(self, checkpoint: Checkpoints | None = None) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="electionwatch-db")
        self._checkpoint = checkpoint
        self._checkpoints = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="electionwatch-checkpoint") if checkpoint else None
        )
        self._running_checkpoint: Future[None] | None = None

    async def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn(*args, **kwargs)`` on the database thread and await its result."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))
        self._checkpoint_soon()
        return result

    def _checkpoint_soon(self) -> None:
        """Start a checkpoint unless one is running (it then takes this call's pages too, or the next one will)."""
        if self._checkpoints is None or (self._running_checkpoint and not self._running_checkpoint.done()):
            return
        self._running_checkpoint = self._checkpoints.submit(self._run_checkpoint)

    def _run_checkpoint(self) -> None:
        assert self._checkpoint is not None
        try:
            self._checkpoint()
        except Exception:
            # The writer's own automatic checkpoint still bounds the log; nothing is lost.
            log.exception("background checkpoint failed")

    def close(self) -> None:
        """Finish queued work and stop the threads."""
        self._executor.shutdown(wait=True)
        if self._checkpoints is not None and self._checkpoint is not None:
            self._checkpoints.shutdown(wait=True)
            self._checkpoint.close()
