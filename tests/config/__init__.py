"""Tests of config/: rate limits."""
