"""The analyzer and the Celery worker. Importing service.analysis must not start Celery."""
