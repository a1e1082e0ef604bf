"""Administration: reference data is data (API.md).

Categories and their routing (national and per province), police units, the working calendar,
Front movement models and administrative change-sets (mergers, splits, renames of communes and
provinces). Every change is audited, published on the feed as ``reference.changed`` and seen by
every worker within the reference caches' TTL (at once in the worker that made it).
"""
