"""The ``archiver`` command: the verbs (``main``) and what they print (``output``)."""
