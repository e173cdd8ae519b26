"""The demo: a township to show and to measure, and a fake platform to feed it.

- township.py: the mediation districts, villages and people; logins.py: the file of their logins;
- calls.py, disputes.py: what the township's cases say; arrivals.py: when they come in;
- story.py: the year the demo tells, driven through the real workflow services;
- bulk.py: many more orders, fast, for the benchmarks;
- cli.py: the `demo-data` command;
- loop.py: the field half of the tour, ready at start (the tour cadre's notices, an order near its deadline);
  photos.py: the photos of its road and sanitation work;
- fake_platform.py: a 12345 platform serving the feed of docs/feed.md, for demos and tests; fake_channels.py:
  the group robots, SMS gateway and push service of docs/notify.md; fakes.py: both in one process for
  `make run`, with a page of what they received.
"""
