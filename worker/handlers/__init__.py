"""Handlers: one module per kind of GitHub event, each a plain function called by worker.routes."""
