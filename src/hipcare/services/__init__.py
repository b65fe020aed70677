"""Use cases: each turns a request from an entry point into calls on the domain.

Entry points (``hipcare.cli``, later the web app) call these; services never do terminal or
network I/O themselves, and storage or rendering parts are handed in by the entry point.
"""
