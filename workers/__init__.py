"""Celery app and thin tasks. Tasks take job IDs only; the database holds every job's state."""
