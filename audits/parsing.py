"""Propose an audit schedule from the words of an outcome measure.

Plans describe how a measure will be tested in one phrase: "3 x monthly dip sample then
review. Target 90%", "Two monthly dip sample x 3", "Quarterly dip samples x 3". Reading
that phrase lets the importer offer a QA lead a schedule to confirm instead of one to type.
It is only ever a proposal: the text and its reading are shown side by side.

Plain Python with no Django import; the target and tolerance are read by the one rule in
``plans.io.parsing`` so a measure and its schedule cannot disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from plans.io.parsing import clean_cell, find_target_tolerance

__all__ = ["CADENCES", "ScheduleProposal", "propose_schedule"]

MONTHLY = "monthly"
TWO_MONTHLY = "two_monthly"
QUARTERLY = "quarterly"
CUSTOM = "custom"
CADENCES = (MONTHLY, TWO_MONTHLY, QUARTERLY, CUSTOM)

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_N = r"(?:\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"

# What is being repeated: a dip sample, a sample of records, an audit.
_SAMPLE = re.compile(r"\b(?:dip[\s-]*sampl\w*|sampl(?:e|es|ing)|audit(?:s|ing)?)\b", re.I)
# How many rounds: "3 x", "x 3", "x3", "3x", "three times". The "x" must stand alone.
_COUNT = re.compile(
    rf"(?<![\w.])(?P<before>{_N})\s*[x×](?![a-z])"
    rf"|(?<![a-z])[x×]\s*(?P<after>{_N})\b"
    rf"|\b(?P<times>{_N})\s+times\b",
    re.I,
)
_EVERY_N_MONTHS = re.compile(rf"\b(?P<n>{_N})[\s-]*monthly\b", re.I)
_NAMED_CADENCES = (
    (re.compile(r"\bbi[\s-]?monthly\b", re.I), 2),
    (re.compile(r"\bquarterly\b", re.I), 3),
    (re.compile(r"\b(?:half[\s-]?yearly|bi[\s-]?annual(?:ly)?)\b", re.I), 6),
    (re.compile(r"\b(?:annual(?:ly)?|yearly)\b", re.I), 12),
    (re.compile(r"\bmonthly\b", re.I), 1),
)
# Cadences shorter than a month cannot be held as a whole number of months.
_SUB_MONTHLY = re.compile(r"\b(?:weekly|fortnightly|daily|twice\s+(?:a\s+)?monthly)\b", re.I)
_THEN_REVIEW = re.compile(r"\bthen\s+(?:re[\s-]?)?(?:review|plan)\b|\breview\s+after\b", re.I)


@dataclass(frozen=True)
class ScheduleProposal:
    """A schedule read from a measure: every ``interval_months`` for ``rounds`` rounds."""

    cadence: str  # "monthly" | "two_monthly" | "quarterly" | "custom"
    interval_months: int
    rounds: int
    then_review: bool
    target: Decimal | None
    tolerance: Decimal | None


def propose_schedule(text: object) -> ScheduleProposal | None:
    """The audit schedule a measure describes, or None if it does not describe one.

    A schedule needs something sampled or audited and a number of rounds ("x 3"). Without a
    stated number there is nothing to schedule, so a one-off "Audit of all new cases" or an
    open "Dip sample/audit case records" gives None, as does prose with no sample at all.

    Readings chosen:
    - No cadence stated ("6 x dip sampling then review") means monthly: monthly dip samples
      are the plan's default and the rounds then fit its timescale (Sep 24 – Mar 25).
    - "Two monthly", "bi-monthly" and "2-monthly" mean every two months, as in UK council
      usage; "six monthly" is every six months (cadence "custom").
    - In "3 x dip sampling x3 monthly" the numbers after or before an "x" are rounds, so it
      is three monthly rounds, not a three-monthly cadence.
    - Weekly or fortnightly sampling gives None: a schedule counts whole months.
    """
    cleaned = " ".join(clean_cell(text).split())
    if not cleaned or not _SAMPLE.search(cleaned):
        return None
    rounds = _rounds(cleaned)
    if rounds is None:
        return None
    if _SUB_MONTHLY.search(cleaned):
        return None
    interval = _interval_months(_COUNT.sub(" ", cleaned))
    target, tolerance = find_target_tolerance(cleaned)
    return ScheduleProposal(
        cadence=_cadence_name(interval),
        interval_months=interval,
        rounds=rounds,
        then_review=bool(_THEN_REVIEW.search(cleaned)),
        target=target,
        tolerance=tolerance,
    )


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.casefold()]


def _rounds(text: str) -> int | None:
    """The first number of rounds written, if it is at least one."""
    match = _COUNT.search(text)
    if match is None:
        return None
    rounds = _number(match["before"] or match["after"] or match["times"])
    return rounds if rounds >= 1 else None


def _interval_months(text: str) -> int:
    """Months between rounds, from text with the round counts taken out; monthly if unsaid."""
    every = _EVERY_N_MONTHS.search(text)
    if every is not None and _number(every["n"]) >= 1:
        return _number(every["n"])
    for pattern, months in _NAMED_CADENCES:
        if pattern.search(text):
            return months
    return 1


def _cadence_name(interval: int) -> str:
    return {1: MONTHLY, 2: TWO_MONTHLY, 3: QUARTERLY}.get(interval, CUSTOM)
