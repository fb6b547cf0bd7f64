"""The quiz app: the question bank, attempts in every mode, grading, interchange and item statistics."""
