"""The one base of every error a user can act on.

The CLI prints one as ``warroom: MESSAGE`` and exits with its ``exit_code``; the console
shows it as a notification. Anything else that escapes is a bug, and shows as one.
"""


class WarroomError(Exception):
    """A problem the user can act on: ``str()`` is one line that names what is wrong (a file
    and field, a value) and carries no credentials."""

    exit_code = 2
