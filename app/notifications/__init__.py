"""Notifications: who is told what about a tip, on which channel, exactly once at most."""
