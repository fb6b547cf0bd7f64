"""Tests of the GIFT and Aiken parsers and writers."""
