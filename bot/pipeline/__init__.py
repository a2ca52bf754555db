"""The ingest and delivery pipeline, one module per step.

fetch      → ``fetch.py``      bytes from the feed's server (conditional GET, caps, deadlines)
parse      → ``parse.py``      bytes → ParsedFeed (feedparser lives here only; runs off the event loop)
normalise  → ``normalise.py``  entry → Item (canonical link, UTC time, plain text, language, hash)
tag        → ``tag/``          Item text → Tags (relevance, countries, bodies, evidence)
dedupe     → ``dedupe.py``     exact keys first, then story assignment
store      → ``storage/``      one transaction per feed poll
match      → ``match.py``      new stories × subscriptions → deliveries (outbox rows)
summarise  → ``summarise.py``  story → platform-neutral Summary
deliver    → ``deliver.py``    outbox → chat platforms

``poll.py`` sequences the steps for one feed; ``schedule.py`` decides when a feed is polled next.
"""
