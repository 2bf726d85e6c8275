"""Playbook 001's rollback decision tree, as data and a pure walker.

    Recent deployment? → Yes → Errors started after? → Yes → ROLLBACK
          ↓ No                      ↓ No
    Config change? → Yes → Test revert → Success? → Yes → REVERT
          ↓ No                                ↓ No
    Investigate other causes

A walk is the list of answers so far; :func:`step` says what to ask next or where it ended,
so the console dialog, the CLI and the tests share one definition. The finished walk is
recorded as a ``decision_tree`` event.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    short: str  # how the answer reads in the timeline
    hint: str = ""


@dataclass(frozen=True)
class Outcome:
    id: str
    text: str


QUESTIONS = {
    "deploy": Question("deploy", "Was there a recent deployment?", "recent deploy"),
    "errors_after": Question("errors_after", "Did the errors start after that deployment?",
                             "errors after deploy"),
    "config": Question("config", "Was there a recent config change?", "config change"),
    "revert_worked": Question("revert_worked", "Test a revert of the config change. Did it work?",
                              "revert worked", "Revert in a safe way (one instance, canary) and watch the errors."),
}
OUTCOMES = {
    "ROLLBACK": Outcome("ROLLBACK", "Roll back the deployment."),
    "REVERT": Outcome("REVERT", "Keep the config revert and roll it out."),
    "INVESTIGATE": Outcome("INVESTIGATE", "Investigate other causes."),
}
# node -> (next on yes, next on no); a name in OUTCOMES ends the walk.
TREE = {
    "deploy": ("errors_after", "config"),
    "errors_after": ("ROLLBACK", "config"),
    "config": ("revert_worked", "INVESTIGATE"),
    "revert_worked": ("REVERT", "INVESTIGATE"),
}
START = "deploy"


def step(answers: list[bool]) -> Question | Outcome:
    """The next question after these answers, or the outcome they lead to."""
    node = START
    for answer in answers:
        if node in OUTCOMES:
            raise ValueError("more answers than the tree has questions on this path")
        node = TREE[node][0 if answer else 1]
    return OUTCOMES[node] if node in OUTCOMES else QUESTIONS[node]


def path(answers: list[bool]) -> list[tuple[Question, bool]]:
    """The questions asked along the walk, each with its answer."""
    node, out = START, []
    for answer in answers:
        out.append((QUESTIONS[node], answer))
        node = TREE[node][0 if answer else 1]
        if node in OUTCOMES:
            break
    return out


def describe(answers: list[bool]) -> str:
    return "; ".join(f"{q.short}: {'yes' if a else 'no'}" for q, a in path(answers))


def record(room, incident_id: str, answers: list[bool], at: int | None = None):
    """Write the finished walk into the timeline."""
    end = step(answers)
    if not isinstance(end, Outcome):
        raise ValueError(f"the walk is not finished: next question is {end.text!r}")
    return room.record(incident_id, "decision_tree",
                       {"answers": describe(answers), "outcome": f"{end.id} — {end.text}"}, at)
