"""Tests of common/, the plain-Python helpers."""
