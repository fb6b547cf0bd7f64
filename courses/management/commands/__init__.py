"""The lessons app's management commands (`loadcontent`)."""
