"""Who is calling: ``app.core.principal`` (every package needs it; this name stays for
existing imports)."""

from app.core.principal import Principal

__all__ = ["Principal"]
