"""What the paging providers share: the errors a page can meet and the shapes they answer in.

A provider error says whether waiting can help: :class:`ProviderDown` (unreachable, 429, 5xx)
keeps a page in the outbox to be retried; :class:`ProviderRefused` (a 4xx, a reply that makes
no sense) will fail the same way again, so the page stops and the room is told why.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import WarroomError
from ..model.safe_text import clean_name
from ..model.times import in_range, parse_time, TimeError

REMOTE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # an id a provider gives, safe in a URL path


class PagingError(WarroomError):
    """A page or an on-call look-up that did not go through; the message holds no token."""

    exit_code = 1  # the input was fine: the provider failed, and a retry may work


class ProviderDown(PagingError):
    """The provider could not be reached or asked us to wait: the page waits and is retried."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider, self.reason = provider, reason


class ProviderRefused(PagingError):
    """The provider refused the request (or answered nonsense): retrying will not help."""

    def __init__(self, provider: str, reason: str, status: int = 0) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider, self.reason, self.status = provider, reason, status


class Sent(NamedTuple):
    remote_id: str  # the PagerDuty incident, the OnCall alert group
    detail: str


class AckState(NamedTuple):
    """Where a page stands at the provider: "open", "acknowledged" or "resolved"."""

    state: str
    by: str = ""
    at_ms: int | None = None

    @property
    def answered(self) -> bool:
        """Someone responded: acknowledged, or resolved (which takes a response too)."""
        return self.state in ("acknowledged", "resolved")


class Shift(NamedTuple):
    """Who a schedule has on call now, as a provider says: ``until_ms`` None when open-ended."""

    provider: str
    schedule: str  # the contacts file's name for the schedule
    person: str
    person_id: str
    until_ms: int | None


def remote_id(value: object, provider: str, what: str) -> str:
    """A provider's id, checked before it goes into an event or a URL."""
    if isinstance(value, (str, int)) and not isinstance(value, bool) and REMOTE_ID.fullmatch(str(value)):
        return str(value)
    raise ProviderRefused(provider, f"the reply has no usable {what} id")


def reply_time(value: object) -> int | None:
    """A time from a reply (ISO 8601), or None when absent or unreadable."""
    if not isinstance(value, str) or not value[:1].isdigit():
        return None
    try:
        return in_range(parse_time(value[:40], 0))
    except (TimeError, ValueError):
        return None


def reply_name(value: object) -> str:
    """A name from a reply, as one clean line of at most 80 characters."""
    return clean_name(value)[:80] if isinstance(value, str) else ""
