"""One registry of console actions: it feeds the key bindings, the footer, the help screen
and the command palette, so the four can never disagree. Keys can be remapped by id from
``config.toml`` (``[keys] declare = "ctrl+n"``)."""

# Annotations are not postponed here: typing compiles each string annotation of a
# NamedTuple when the module is imported, and these load as the console starts.
from typing import NamedTuple

from textual.binding import Binding


class Action(NamedTuple):
    id: str  # the app's action name, and the binding id users remap
    key: str
    title: str  # footer label
    help: str
    group: str
    show: bool = True


ACTIONS: list[Action] = [
    Action("write", "i", "Write", "Type a timeline entry (Esc leaves the entry line for the commands)", "timeline"),
    Action("declare", "D", "Declare", "Declare a new incident", "incident"),
    Action("severity", "s", "Severity", "Change the severity", "incident"),
    Action("status", "t", "Status", "Change the status", "incident"),
    Action("assign", "a", "Assign", "Assign or hand over a role, with a briefing", "roles"),
    Action("checklist", "c", "Tasks", "Tick off a role's task checklist", "roles"),
    Action("comms", "m", "Comms", "Fill, edit, copy and send a status update template", "comms"),
    Action("update_posted", "u", "Update sent", "Record that a status update went out: channel and text, then Enter",
           "comms"),
    Action("fields", "F", "Fields", "Fields form: impact, what we know, actions, ETA, the customer fields, "
           "milestones — who set each and when", "comms", show=False),
    Action("acknowledge", "K", "Ack", "Acknowledge the incident (meets the response deadline), then Enter", "incident"),
    Action("switch", "x", "Switch", "Switch between incidents", "incident"),
    Action("page", "p", "Page", "Page a person, team or schedule of the contacts file (a reason, then Enter)",
           "escalation", show=False),
    Action("rollback", "b", "Rollback?", "Walk the rollback decision tree", "incident", show=False),
    Action("resolve", "R", "Resolve", "Resolve: the resolution checklist, with an override", "follow-up"),
    Action("reopen", "O", "Reopen", "Re-open after a recurrence: what recurred, then Enter", "follow-up", show=False),
    Action("action_items", "A", "Actions", "Action items: add, update, see what is overdue", "follow-up",
           show=False),
    Action("postmortem", "P", "Postmortem", "Preview and save the postmortem", "follow-up", show=False),
    Action("diagnostic", "o", "Pane", "Open a diagnostic pane (pods, postgres, redis, http)", "diagnostics"),
    Action("close_panes", "W", "Close panes", "Close the diagnostic panes", "diagnostics", show=False),
    Action("next_pane", "f6", "Next pane", "With panes open: the next pane, then the entry line (Tab too,"
           " except in the entry line, where Tab cycles the kind)", "diagnostics", show=False),
    Action("previous_pane", "shift+f6", "Previous pane", "With panes open: the previous pane (Shift+Tab too)",
           "diagnostics", show=False),
    Action("panes_or_timeline", "ctrl+t", "Timeline", "On a narrow terminal: the timeline in front of the panes,"
           " or the panes in front", "diagnostics", show=False),
    Action("filter_text", "slash", "Filter", "Filter the timeline by text", "timeline"),
    Action("filter_kind", "f", "Kind", "Cycle the timeline's kind filter", "timeline"),
    Action("help", "question_mark", "Help", "Show every key binding", "app"),
    Action("quit", "q", "Quit", "Quit warroom", "app"),
]


def bindings() -> list[Binding]:
    return [Binding(a.key, a.id, a.title, show=a.show, id=a.id, tooltip=a.help) for a in ACTIONS]


def key_label(key: str) -> str:
    return {"slash": "/", "question_mark": "?"}.get(key, key)
