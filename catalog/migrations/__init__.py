"""Alembic migrations of the catalog database, for SQLite and PostgreSQL alike.

`dangan.catalog.migrate.upgrade()` applies them when a catalog is opened. HEAD names
the newest revision so an up-to-date catalog opens without loading Alembic;
tests/test_catalog_conformance.py checks it against the scripts."""

HEAD = "0009"
