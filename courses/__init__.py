"""The lessons app: courses, lessons and their sections, the content loader and the lesson pages."""
