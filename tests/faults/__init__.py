"""Fault tests: processes killed and services cut while students and the lab work."""
