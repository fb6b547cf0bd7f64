"""Plain-Python helpers shared by every app and by the lab engine; nothing here imports Django."""
