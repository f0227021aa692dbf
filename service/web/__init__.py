"""What the web process serves: the webhook receiver, sign-in, the dashboard and the health check."""
