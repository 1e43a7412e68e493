"""The read half of full-text search: the query language, the SQL plan, ranking, snippets."""
