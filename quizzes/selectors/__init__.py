"""Every non-trivial read of the quiz app, one subject a module; nothing here writes, queues or sends.

- ``bank``: the published lesson, its practice bank and counts per difficulty, the test's blueprint.
- ``shown``: a question as one student sees it (choices lettered in their order, the answer), the staff preview.
- ``attempts``: the student's own attempt, its questions and result, the model quiz as they left it.
- ``responses``: the student's answers in a lesson, those revealed, the questions seen.
- ``reviews``: the review deck's due items, and the progress page.
- ``exams``: a student's time limit for a lesson's exam, and the exam's blueprint.
- ``drill``: the common mistakes a student has shown and how far they are with each.
- ``flashcards``: the card a student sees next, a card turned over, how many are due.
- ``sheet``: a lesson's summary sheet.
"""
