"""How a lesson's item statistics are laid out for people: the question table's columns, its sort, the CSV.

`COLUMNS` is the one list of those columns: the admin page's headings and sort keys, the sort
of `rows_sorted`, and the statistics columns of the CSV (`<statistic>_pct`) all come from it.

The CSV is safe to open in a spreadsheet (OWASP, "CSV Injection"): every text cell that begins
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (what students typed, choice texts,
keys) is prefixed with a single quote, so it is never read as a formula. The numbers we format
ourselves (``-12.50``, a negative discrimination or credit) are left as numbers: they cannot hold
a formula, and a spreadsheet must still sort and sum them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from quizzes.statistics import TOO_FEW_ATTEMPTS
from quizzes.stats_selectors import LessonStatistics, QuestionRow
from quizzes.vocabulary import DIFFICULTIES

TOO_FEW_TEXT = "too few attempts to judge"


@dataclass(frozen=True)
class Column:
    key: str  # the sort key, `?o=<key>` on the page
    heading: str  # the page's column heading
    statistic: str = ""  # the QuestionStatistics attribute shown, a percentage ("" = not a statistic)


COLUMNS = (
    Column("position", "#"),
    Column("key", "Question"),
    Column("difficulty", "Difficulty"),
    Column("attempts", "Attempts"),
    Column("facility", "Facility index", "facility"),
    Column("sd", "Standard deviation", "sd"),
    Column("discrimination", "Discrimination index", "discrimination_index"),
    Column("efficiency", "Discriminative efficiency", "discriminative_efficiency"),
    Column("weight", "Effective weight", "effective_weight"),
    Column("flags", "Flags"),
)
SORT_COLUMNS = tuple(column.key for column in COLUMNS)
_BY_KEY = {column.key: column for column in COLUMNS}
_STATISTICS = tuple(column.statistic for column in COLUMNS if column.statistic)

# What the columns that are not statistics sort on.
_OTHER_VALUES = {
    "position": lambda row: (row.question.role, row.question.position, row.question.id),
    "key": lambda row: row.question.key,
    # a difficulty the vocabulary does not know sorts after the known ones
    "difficulty": lambda row: (
        DIFFICULTIES.index(row.question.difficulty) if row.question.difficulty in DIFFICULTIES else len(DIFFICULTIES)
    ),
    "attempts": lambda row: row.stats.n,
    "flags": lambda row: ", ".join(row.flag_codes),
}


def _sort_value(row: QuestionRow, column: Column):
    if column.statistic:
        return getattr(row.stats, column.statistic)
    return _OTHER_VALUES[column.key](row)


def rows_sorted(rows: list[QuestionRow], order: str) -> list[QuestionRow]:
    """Sort by a column of SORT_COLUMNS, `-column` for descending; empty values go last either way."""
    column = _BY_KEY.get(order.lstrip("-"))
    if column is None:
        return list(rows)
    present = [r for r in rows if _sort_value(r, column) is not None]
    missing = [r for r in rows if _sort_value(r, column) is None]
    return sorted(present, key=lambda r: _sort_value(r, column), reverse=order.startswith("-")) + missing


CSV_HEADER = [
    "row",
    "question",
    "position",
    "difficulty",
    "kind",
    "attempts",
    *(f"{name}_pct" for name in _STATISTICS),
    "choice",
    "choice_credit",
    "choice_count",
    "choice_pct",
    "flags",
]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _text(value) -> str:
    """A text cell neutralised against formula injection: a leading ' before =, +, -, @, tab or CR."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def statistics_csv(stats: LessonStatistics) -> str:
    """One row per question, then one per choice of it (distractor analysis; a typed question's
    answers), then for a typed question one per common unmatched answer (`unmatched`, with its
    count). A question with too few attempts has its numbers left empty and says so in `flags`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in stats.rows:
        q, s = row.question, row.stats
        numbers = [None if row.too_few else getattr(s, name) for name in _STATISTICS]
        writer.writerow(
            [
                "question",
                _text(q.key),
                q.position,
                q.difficulty,
                q.kind,
                s.n,
                *map(_num, numbers),
                "",
                "",
                "",
                "",
                _text("; ".join(TOO_FEW_TEXT if f.code == TOO_FEW_ATTEMPTS else f.code for f in row.flags)),
            ]
        )
        for c in row.choices:
            # a choice row leaves the question's columns empty: difficulty, kind, attempts, statistics
            writer.writerow(
                [
                    "choice",
                    _text(q.key),
                    q.position,
                    *[""] * (3 + len(_STATISTICS)),
                    _text(c.text),
                    _num(c.fraction * 100),
                    c.count,
                    _num(c.percent),
                    _text("; ".join(f.code for f in c.flags)),
                ]
            )
        for text, count in row.unmatched:
            writer.writerow(
                ["unmatched", _text(q.key), q.position, *[""] * (3 + len(_STATISTICS)), _text(text), "", count, "", ""]
            )
    return out.getvalue()
