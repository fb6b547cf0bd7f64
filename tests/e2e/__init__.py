"""Browser tests: Chromium drives the real site."""
