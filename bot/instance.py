"""One running bot per database: an exclusive lock on a file beside it.

Two ``electionwatch run`` on one database would both poll and both send. The lock is ``flock`` on
``<db>.lock``: the kernel releases it when the process ends, however it ends (SIGKILL included),
so a crash never leaves a stale lock behind. The file holds the owner's pid for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bot.errors import ConfigError


class InstanceLock:
    """Held while the bot runs; ``acquire`` raises ConfigError when another process holds it."""

    def __init__(self, db: Path) -> None:
        self.path = Path(f"{db}.lock")
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        """Take the lock or say clearly who has it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise ConfigError(
                f"another electionwatch (pid {owner}) is already running on {self.path.with_suffix('')}; "
                "stop it first, or give this one another --db"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Let another instance start."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
