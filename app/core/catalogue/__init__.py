"""The message catalogue by domain; looked up through ``app.core.messages`` only."""
