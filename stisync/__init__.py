"""stisync: links a province's S&T task records to the national S&T database."""

__version__ = "0.1.0"
