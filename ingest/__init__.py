"""Ingest: check files, OCR them and store each record atomically."""
