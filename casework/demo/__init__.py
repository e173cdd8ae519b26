"""The demo: a township to show and to measure, and a fake platform to feed it.

- township.py: the mediation districts, villages and people; logins.py: the file of their logins;
- calls.py, disputes.py: what the township's cases say; arrivals.py: when they come in;
- story.py: the year the demo tells, driven through the real workflow services;
- bulk.py: many more orders, fast, for the benchmarks;
- cli.py: the `demo-data` command;
- fake_platform.py: a 12345 platform serving the feed of docs/feed.md, for demos and tests.
"""
