"""The test suite: one folder per app, e2e/ for the browser; the top-level harness/ runs a real site for the fault and concurrency tests."""
