"""Template tags of the quiz app."""
