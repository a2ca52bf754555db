"""Every line of SQL lives in this package.

``open_store(path)`` opens the SQLite file in WAL mode, applies pending migrations and returns a
``Store`` whose attributes group the queries by domain (``feeds``, ``items``, ...).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage._database import Database
from storage.feeds import FeedStore
from storage.health import Health, read_health
from storage.items import ItemStore
from storage.migrations import migrations
from storage.outbox import OutboxStore
from storage.prune import PruneStore
from storage.stories import StoryStore
from storage.subscriptions import SubscriptionStore

# Pages of write-ahead log at which the writer checkpoints by itself when background checkpoints fall
# behind (about 40 MB).
SAFETY_NET_CHECKPOINT_PAGES = 10_000


class Checkpointer:
    """Copies committed pages from the write-ahead log into the database file, on its own connection."""

    def __init__(self, path: str) -> None:
        # check_same_thread=False: created on the caller's thread, run on the checkpoint thread.
        self._conn = sqlite3.connect(path, check_same_thread=False, timeout=30)

    def __call__(self) -> None:
        """Checkpoint what no reader still needs, without waiting for locks (PASSIVE)."""
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class Store:
    """The database, with one query object per domain."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.feeds = FeedStore(db)
        self.items = ItemStore(db)
        self.subscriptions = SubscriptionStore(db)
        self.outbox = OutboxStore(db)
        self.stories = StoryStore(db)
        self.prune = PruneStore(db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work (nested calls become savepoints).

        The outermost one takes the write lock at once (BEGIN IMMEDIATE): a transaction that reads and
        then writes would otherwise fail with "database is locked", whatever busy_timeout says, when
        another connection (the CLI, a second process) wrote in between.
        """
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.conn.commit()

    def background_checkpoints(self) -> Checkpointer | None:
        """Hand checkpoints to a second connection, run off the writer's thread (None for an in-memory database).

        SQLite otherwise copies the write-ahead log into the database file inside the commit that fills it
        past 1,000 pages, so the thread storing a feed waits for that copy and its fsync; a busy poll fills
        the log at every commit. The writer keeps a far higher threshold as a safety net.
        """
        path = self.db.execute("PRAGMA database_list").fetchone()[2]
        if not path:
            return None
        self.db.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_CHECKPOINT_PAGES}")
        return Checkpointer(path)

    def health(self) -> Health:
        """Feeds failing or disabled, last successful poll, outbox depth and oldest pending delivery."""
        return read_health(self.db)

    def schema_version(self) -> int:
        """How many migrations have been applied."""
        return len(migrations.applied(self.db))

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()


def open_store(path: Path | str) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread=False: the store is used from worker threads, one at a time (callers serialise).
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    db = Database(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    # FULL: a commit (above all an outbox "sent" mark) survives an OS crash or power loss, not only a
    # process crash; it costs about 0.1 ms per commit here (docs/RELIABILITY.md).
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    migrations.apply(db)
    return Store(db)
