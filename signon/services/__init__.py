"""The domain: operations that views and commands call, never the reverse."""
