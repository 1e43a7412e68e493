"""WARC files, the archive's source of truth: record types (``records``), the writer, the reader."""
