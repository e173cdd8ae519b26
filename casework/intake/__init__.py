"""Intake: hotline orders from the platform (inbox files, the HTTP feed) into cases, and replies back.

inbox.py reads export files, normalize.py checks and cleans each row, ingest.py inserts the new orders
in bulk and keeps the failing rows (rejected.py lets dispatchers correct or dismiss them).
"""
