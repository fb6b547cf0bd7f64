"""Error codes raised for the same fault by more than one part of the site, spelled once here."""

# Text that should be a number is not one: a typed answer, an answer in an imported question, a lesson file's field.
NOT_A_NUMBER = "not_a_number"
# An answer with no text: typed by a student, or in an imported question.
EMPTY_ANSWER = "empty_answer"
