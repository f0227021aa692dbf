"""A local fake GitHub speaking HTTP, enforcing GitHub's documented limits, for the whole test suite."""
