"""The HTTP transport, its auth and limits, and many server processes on one database."""
