"""Template tags of the lab."""
