"""Everything derived from the WARCs: the SQLite index (``store``), its full-text tables
(``fulltext``), the capture log (``capture_log``), and how a damaged one is found and rebuilt.
"""
