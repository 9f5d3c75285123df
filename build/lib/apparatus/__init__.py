"""Apparatus: a static site generator for annotated reading collections.

One module per concern, imported one way (the map is in README.md, "The engine"); ``build.py`` and
the ``apparatus`` command enter through :func:`apparatus.cli.main`.
"""
