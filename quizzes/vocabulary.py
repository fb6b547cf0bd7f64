"""The fixed words of the question bank, in order: the difficulties and the question kinds.

Their one home: the models' choices, the lesson loader, the interchange formats, the test
draw, grading and the statistics all import them from here. Plain Python, so the pure
modules (grading, blueprint, interchange) need no Django models to use them.
"""

#: A question's difficulty, easiest first: the order tests draw and reports list them in.
DIFFICULTIES = ("easy", "medium", "hard")

#: The kinds "Numbers & shapes" practises, answered by typing a number (within a tolerance) or a
#: short text such as a shape. The mode is offered only for a lesson whose practice bank has them.
TYPED_KINDS = ("numeric", "short")

#: A question's kind: one correct choice, several correct choices, True/False, or a typed answer.
KINDS = ("single", "multiple", "truefalse") + TYPED_KINDS

#: Moodle's catch-all answer of a typed question ("*", credit 0): it matches only what no other
#: answer matched, for its feedback (and linked mistake). Stored as a Choice whose text is this.
ANY_ANSWER = "*"
