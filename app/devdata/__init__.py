"""Synthetic data for development and benchmarks: ``tinbao dev generate --tips N``.

``synth`` builds the rows (plain tuples, no ORM), ``bulk`` writes them (PostgreSQL COPY,
SQLite ``executemany``), ``service.generate_tips`` ties them together.
"""
