"""Intake runs you can see: the list of runs, the poll-now button, the failed-run banner, the outbox."""
