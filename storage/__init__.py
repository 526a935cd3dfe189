"""Persistence of GenAISys Studio: graphs and their versions, runs, artifacts, shares.

Import what you need from the submodules (``storage.db``, ``storage.repo``,
``storage.models``, ``storage.artifacts``, ``storage.errors``); this file imports nothing,
so ``import storage`` stays cheap. ``storage`` never imports ``app`` or ``nodes``.
"""
