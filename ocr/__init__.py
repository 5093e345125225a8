"""OCR: turn checked scans into a searchable PDF/A plus normalised page text."""
