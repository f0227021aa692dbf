"""The analyzer and the Celery worker. Importing worker.analysis must not start Celery."""
