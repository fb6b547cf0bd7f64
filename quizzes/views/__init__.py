"""The quiz pages, one module per mode, each view parsing the request, calling one service or selector, rendering.

Every answer is a plain form POST followed by a redirect, so the pages work without JavaScript.
A mode's module also holds its line in the lesson page's mode picker (registered in QuizzesConfig.ready).

- ``quiz``: the model quiz, inline on the lesson page.
- ``practice``: practice and the test ("Test this pattern"), their start pages.
- ``review``: a round of the review questions due.
- ``exam``: the timed exam's start page.
- ``drill``: the mistake drill.
- ``flashcards``: the flashcards, a card at a time.
- ``numbers``: Numbers & shapes, a practice round of the typed-answer questions.
- ``sheet``: the summary sheet.
- ``attempts``: one attempt in any mode: its questions, answers, hints, finish and result.
- ``accounts``: sign-up, the student's progress page, the staff's question preview.
"""
