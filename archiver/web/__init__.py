"""A Datasette plugin: ``index.db`` in Datasette, searched the way ``archiver search`` searches.

Datasette finds the plugin through the ``datasette`` entry point (``pyproject.toml``) when the
``web`` extra is installed, and ``archiver serve`` starts Datasette with it on 127.0.0.1. The
hooks are in ``archiver.web.hooks``; they are named here because Datasette reads a plugin's
hooks, and its ``templates/`` folder, from the module the entry point names.
"""

from archiver.web.hooks import asgi_wrapper, get_metadata, prepare_connection, register_routes

__all__ = ["asgi_wrapper", "get_metadata", "prepare_connection", "register_routes"]
