"""The quiz app's management commands (`import_questions`, `export_questions`)."""
