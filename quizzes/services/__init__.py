"""Every write of the quiz app, each in a transaction, one entity a module; import from the module that does the job.

- ``attempts``: start an attempt (its questions and choice orders; an exam's deadline, and the task that closes it queued).
- ``responses``: record an answer, reveal a hint, answer the inline model quiz.
- ``scores``: finish an attempt and score it (a test's answers reach the review deck then).
- ``exams``: close an exam whose time is over: the one way an exam closes, for the pages and the closing task.
- ``reviews``: reschedule an answered question in the student's review deck.
- ``flashcards``: the lesson file's `flashcards:` section, a student's rating of a card, anonymous schedules carried over.
- ``accounts``: anonymous progress carried over on log-in; the password-reset mail queued.
- ``reset_mail``: the password-reset mail itself, sent by the worker's task.
"""
