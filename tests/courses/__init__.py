"""Tests of the lessons app."""
