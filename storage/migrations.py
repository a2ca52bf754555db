"""Schema migrations, applied in order at start-up. Never edit a released step: add a new one."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("electionwatch")


@migrations()
def m001_feeds_items_stories(db: Database) -> None:
    """Feeds with their poll state, items, the links each feed delivered, and stories."""
    db.execute(
        """
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            name TEXT,
            lang TEXT,
            interval_seconds INTEGER NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            source TEXT NOT NULL DEFAULT 'config',
            added_at TEXT NOT NULL,
            added_by TEXT,
            etag TEXT,
            last_modified TEXT,
            body_hash TEXT,
            last_status INTEGER,
            last_error TEXT,
            bozo_reason TEXT,
            last_polled_at TEXT,
            last_success_at TEXT,
            consecutive_failures INTEGER NOT NULL DEFAULT 0,
            next_poll_at TEXT,
            disabled_reason TEXT,
            items_total INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            first_seen TEXT NOT NULL,
            representative_item_id INTEGER,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute(
        """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL,
            guid TEXT,
            link TEXT NOT NULL,
            canonical_link TEXT,
            title TEXT NOT NULL,
            summary TEXT NOT NULL,
            published TEXT NOT NULL,
            published_is_fallback INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            lang TEXT NOT NULL,
            content_hash TEXT NOT NULL UNIQUE,
            relevant INTEGER NOT NULL DEFAULT 0,
            countries TEXT NOT NULL DEFAULT '[]',
            bodies TEXT NOT NULL DEFAULT '[]',
            evidence TEXT NOT NULL DEFAULT '[]',
            story_id INTEGER REFERENCES stories(id)
        )
        """
    )
    db.execute("CREATE INDEX items_story ON items(story_id)")
    db.execute("CREATE INDEX items_published ON items(published)")
    # One row per distinct link a feed delivered: the item's own link or an alias of it.
    db.execute(
        """
        CREATE TABLE receipts (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            feed_id INTEGER NOT NULL,
            link TEXT NOT NULL,
            canonical_link TEXT NOT NULL,
            guid TEXT,
            first_seen TEXT NOT NULL,
            UNIQUE (feed_id, canonical_link)
        )
        """
    )
    db.execute("CREATE INDEX receipts_canonical ON receipts(canonical_link)")
    db.execute("CREATE INDEX receipts_feed_guid ON receipts(feed_id, guid)")
    db.execute("CREATE INDEX receipts_item ON receipts(item_id)")


@migrations()
def m003_chats_subscriptions_outbox(db: Database) -> None:
    """Chats, their subscriptions, the delivery outbox and full-text search over items."""
    db.execute(
        """
        CREATE TABLE chats (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            thread_id TEXT NOT NULL DEFAULT '',
            title TEXT,
            is_group INTEGER NOT NULL DEFAULT 0,
            active INTEGER NOT NULL DEFAULT 1,
            inactive_reason TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (platform, chat_id, thread_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            chat_row INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
            filter TEXT NOT NULL,
            terms TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT,
            UNIQUE (chat_row, filter)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            story_id INTEGER NOT NULL,
            chat_row INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'uncertain', 'dead', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT NOT NULL,
            claimed_at TEXT,
            last_error TEXT,
            message_id TEXT,
            plain INTEGER NOT NULL DEFAULT 0,
            needs_edit INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (story_id, chat_row)
        )
        """
    )
    db.execute("CREATE INDEX outbox_due ON outbox(state, next_attempt_at)")
    db.execute("CREATE INDEX outbox_edits ON outbox(needs_edit) WHERE needs_edit = 1")
    db.execute("CREATE INDEX outbox_story ON outbox(story_id)")
    db.execute(
        "CREATE VIRTUAL TABLE items_fts USING fts5(title, summary, content='items', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN "
        "INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary); END"
    )
    db.execute(
        "CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN "
        "INSERT INTO items_fts(items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary); "
        "END"
    )
    db.execute(
        "CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN "
        "INSERT INTO items_fts(items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary); "
        "INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary); END"
    )
    db.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")


@migrations()
def m002_story_fingerprints(db: Database) -> None:
    """Dedupe fingerprints: per-item features, LSH band keys and a (country, day) index of stories."""
    # One row per stored item: its story and the JSON features and MinHash signature dedupe compares.
    db.execute(
        """
        CREATE TABLE story_features (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            story_id INTEGER NOT NULL,
            day INTEGER NOT NULL,
            features TEXT NOT NULL,
            signature BLOB NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX story_features_story ON story_features(story_id)")
    # LSH: one row per band of an item's MinHash signature; a shared band key makes a candidate.
    db.execute(
        """
        CREATE TABLE story_bands (
            band_key INTEGER NOT NULL,
            day INTEGER NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id)
        )
        """
    )
    db.execute("CREATE INDEX story_bands_key ON story_bands(band_key, day)")
    # Cross-language lookup: items filed under each (country, event kind) they report and their day
    # (ordinal); a translation is only compared with reports of the same kind of event.
    db.execute(
        """
        CREATE TABLE story_topics (
            country TEXT NOT NULL,
            kind TEXT NOT NULL,
            day INTEGER NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id)
        )
        """
    )
    db.execute("CREATE INDEX story_topics_lookup ON story_topics(country, kind, day)")


@migrations()
def m004_feed_moves_and_item_tombstones(db: Database) -> None:
    """Where a permanently redirected feed was listed, and the keys of pruned items."""
    # The URL feeds.yaml or the admin gave, kept when a 301/308 moves the feed, so the config still matches it.
    db.execute("ALTER TABLE feeds ADD COLUMN moved_from TEXT")
    db.execute("CREATE INDEX feeds_moved_from ON feeds(moved_from) WHERE moved_from IS NOT NULL")
    # Exact-duplicate keys (guid in a feed, canonical link, content hash) of items removed by pruning:
    # a feed that re-lists an old item must not make it new again.
    db.execute(
        """
        CREATE TABLE item_tombstones (
            key TEXT PRIMARY KEY,
            pruned_at TEXT NOT NULL
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX stories_updated ON stories(updated_at)")


@migrations()
def m005_story_lookup_without_features(db: Database) -> None:
    """Finding candidate stories without reading stored features: story ids on the index rows and on stories."""
    # Each story's newest item ids, so that dedupe reads a candidate story with its row instead of its items.
    db.execute("ALTER TABLE stories ADD COLUMN recent_items TEXT NOT NULL DEFAULT '[]'")
    db.execute(
        "UPDATE stories SET recent_items = (SELECT json_group_array(item_id) FROM "
        "(SELECT item_id FROM story_features WHERE story_id = stories.id ORDER BY item_id DESC LIMIT 12))"
    )
    # Band and topic rows name the story their item was filed in; a merged story points to the one that took
    # its items, so a merge rewrites one story row instead of every index row of the items it moves.
    db.execute("ALTER TABLE stories ADD COLUMN merged_into INTEGER")
    db.execute("CREATE INDEX stories_merged_into ON stories(merged_into) WHERE merged_into IS NOT NULL")
    # Each becomes one b-tree ordered for its lookup (no separate table and index to write and read).
    db.execute(
        """
        CREATE TABLE story_bands_by_key (
            band_key INTEGER NOT NULL,
            day INTEGER NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id),
            story_id INTEGER NOT NULL,
            PRIMARY KEY (band_key, day, item_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "INSERT INTO story_bands_by_key (band_key, day, item_id, story_id) "
        "SELECT b.band_key, b.day, b.item_id, f.story_id FROM story_bands b JOIN story_features f USING (item_id)"
    )
    db.execute("DROP TABLE story_bands")
    db.execute("ALTER TABLE story_bands_by_key RENAME TO story_bands")
    db.execute(
        """
        CREATE TABLE story_topics_by_key (
            country TEXT NOT NULL,
            kind TEXT NOT NULL,
            day INTEGER NOT NULL,
            item_id INTEGER NOT NULL REFERENCES items(id),
            story_id INTEGER NOT NULL,
            PRIMARY KEY (country, kind, day, item_id)
        ) WITHOUT ROWID
        """
    )
    db.execute(
        "INSERT INTO story_topics_by_key (country, kind, day, item_id, story_id) "
        "SELECT t.country, t.kind, t.day, t.item_id, f.story_id FROM story_topics t "
        "JOIN story_features f USING (item_id)"
    )
    db.execute("DROP TABLE story_topics")
    db.execute("ALTER TABLE story_topics_by_key RENAME TO story_topics")


@migrations()
def m006_story_topics_by_kind(db: Database) -> None:
    """Topic rows by kind and day: an item that names no country looks for reports of its kind in any."""
    db.execute("CREATE INDEX story_topics_kind ON story_topics(kind, day)")
