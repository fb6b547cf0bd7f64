"""Security tests: who may see what, CSRF, hardening and fuzzed input."""
