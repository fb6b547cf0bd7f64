"""The test suite: one folder per app, e2e/ for the browser; harness.py and http_client.py run a real site."""
