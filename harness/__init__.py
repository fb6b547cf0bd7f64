"""The real site in processes and a client to drive it, shared by the tests and the benchmarks (neither reaches into the other).

- ``processes``: the site under gunicorn in a subprocess, free ports, throwaway PostgreSQL databases, ``wait_for``.
- ``http_client``: one browser tab's cookies and CSRF over HTTP, and the quiz pages read as a student's browser does.
"""
