"""Tact: the web process (``service.app.create_app``) and everything both processes share."""
