"""Template tags of the lessons app."""
