"""PagerDuty REST API v2, through PagerDuty's own ``pagerduty`` client (``RestApiV2Client``).

- A page is ``POST /incidents`` on the target's escalation policy (a team, a schedule) or
  assigned to the user (a person), on the configured service, with a stable ``incident_key``
  per warroom incident and target. PagerDuty refuses a second open incident with the same key,
  and before any retry the key is looked up (``GET /incidents?incident_key=``): a reply lost on
  the way back never becomes a second page.
- Acknowledgement is read back from ``GET /incidents/{id}``: ``acknowledged`` (with who and when
  in ``acknowledgements``), or ``resolved``.
- Who is on call: ``GET /oncalls`` for the contacts file's schedules, the earliest entry each.

The client's own retries are turned down to one: the outbox owns retrying, and a console
must not sit in a client's back-off while PagerDuty is down. The client is imported only here.
"""

from __future__ import annotations

from .base import AckState, ProviderDown, ProviderRefused, remote_id, reply_name, reply_time, Sent, Shift
from .contacts import Contact
from .settings import PagingSettings

NAME = "pagerduty"
URGENCY = "high"


class PagerDuty:
    name = NAME

    def __init__(self, settings: PagingSettings) -> None:
        import pagerduty

        self.settings = settings
        self.client = pagerduty.RestApiV2Client(settings.pagerduty_token, default_from=settings.pagerduty_from,
                                                base_url=settings.pagerduty_url, verify=settings.verify)
        self.client.timeout = settings.timeout
        self.client.max_network_attempts = 0  # the outbox retries, not the client
        self.client.retry = {429: 1}  # the client's default waits on 429 forever
        self.client.sleep_timer = 0.1

    def close(self) -> None:
        self.client.close()

    # -- requests ------------------------------------------------------------------------
    def _call(self, what: str, fn):
        import httpx2
        import pagerduty

        try:
            return fn()
        except pagerduty.HttpError as exc:
            code = exc.response.status_code
            reason = f"{what}: HTTP {code}{_error_text(exc.response)}"
            if code == 429 or code >= 500:
                raise ProviderDown(NAME, self.settings.scrub(reason)) from None
            raise ProviderRefused(NAME, self.settings.scrub(reason), code) from None
        except pagerduty.Error as exc:
            cause = exc.__cause__
            why = type(cause).__name__ if isinstance(cause, httpx2.TransportError) else "no usable reply"
            raise ProviderDown(NAME, f"{what}: cannot reach {self.settings.pagerduty_url} ({why})") from None
        except httpx2.HTTPError as exc:
            raise ProviderDown(NAME, f"{what}: {type(exc).__name__}") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ProviderRefused(NAME, f"{what}: unreadable reply") from None

    # -- paging ----------------------------------------------------------------------------
    def page(self, request: dict, attempt: int = 1) -> Sent:
        """Open the incident for ``request`` (see :func:`page.request`); on a retry, first
        look the key up, so what an earlier attempt opened is found instead of opened again."""
        key = request["incident_key"]
        if attempt > 1 and (found := self.find(key)) is not None:
            return found
        service = request.get("pagerduty_service") or self.settings.pagerduty_service
        if not service:
            raise ProviderRefused(NAME, "no service to open the incident on: set WARROOM_PAGERDUTY_SERVICE "
                                        "([paging] pagerduty_service) or pagerduty_service in the contacts file")
        incident = {
            "type": "incident", "title": request["title"][:255], "urgency": URGENCY, "incident_key": key,
            "service": {"id": service, "type": "service_reference"},
            "body": {"type": "incident_body", "details": request["details"][:10_000]},
        }
        if request.get("pagerduty_escalation_policy"):
            incident["escalation_policy"] = {"id": request["pagerduty_escalation_policy"],
                                             "type": "escalation_policy_reference"}
        else:
            incident["assignments"] = [{"assignee": {"id": request["pagerduty_user"], "type": "user_reference"}}]
        try:
            made = self._call("POST /incidents", lambda: self.client.rpost("/incidents", json={"incident": incident}))
        except ProviderRefused as exc:
            # an open incident with this key already: ours, from an attempt whose reply was lost
            if exc.status == 400 and (found := self.find(key)) is not None:
                return found
            raise
        return Sent(remote_id(made.get("id"), NAME, "incident"), f"incident {made.get('incident_number', '')}".strip())

    def find(self, key: str) -> Sent | None:
        """The incident opened with ``incident_key``, if there is one."""
        found = self._call("GET /incidents", lambda: self.client.rget("/incidents", params={"incident_key": key}))
        for incident in found if isinstance(found, list) else []:
            if isinstance(incident, dict) and incident.get("incident_key") == key:
                return Sent(remote_id(incident.get("id"), NAME, "incident"), "incident found by its key")
        return None

    def status(self, incident_id: str) -> AckState:
        ident = remote_id(incident_id, NAME, "incident")
        incident = self._call("GET /incidents/{id}", lambda: self.client.rget(f"/incidents/{ident}"))
        if not isinstance(incident, dict):
            raise ProviderRefused(NAME, "GET /incidents/{id}: unreadable reply")
        status = incident.get("status")
        if status == "acknowledged":
            acks = [a for a in incident.get("acknowledgements") or [] if isinstance(a, dict)]
            first = min(acks, key=lambda a: reply_time(a.get("at")) or 0, default={})
            by = first.get("acknowledger") if isinstance(first.get("acknowledger"), dict) else {}
            return AckState("acknowledged", reply_name(by.get("summary")) or reply_name(by.get("id")),
                            reply_time(first.get("at")))
        if status == "resolved":
            by = incident.get("last_status_change_by")
            by = by if isinstance(by, dict) else {}
            return AckState("resolved", reply_name(by.get("summary")),
                            reply_time(incident.get("last_status_change_at") or incident.get("resolved_at")))
        return AckState("open")

    # -- who is on call ----------------------------------------------------------------------
    def on_call(self, schedules: list[Contact]) -> list[Shift]:
        """The first on-call entry of each schedule that has a PagerDuty schedule id."""
        by_id = {c.pagerduty_schedule: c for c in schedules if c.pagerduty_schedule}
        if not by_id:
            return []
        params = {"schedule_ids[]": sorted(by_id), "earliest": "true"}
        entries = self._call("GET /oncalls", lambda: list(self.client.iter_all("/oncalls", params=params)))
        shifts: dict[str, Shift] = {}
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            schedule = entry.get("schedule") if isinstance(entry.get("schedule"), dict) else {}
            contact = by_id.get(schedule.get("id"))
            user = entry.get("user") if isinstance(entry.get("user"), dict) else {}
            if contact is None or not user:
                continue
            shift = Shift(NAME, contact.name, reply_name(user.get("summary")) or reply_name(user.get("id")),
                          reply_name(user.get("id")), reply_time(entry.get("end")))
            if contact.name not in shifts:
                shifts[contact.name] = shift
        return list(shifts.values())


def _error_text(response) -> str:
    """PagerDuty's error message and details, short: ": Invalid Input Provided (…)"."""
    try:
        error = response.json().get("error") or {}
        message = str(error.get("message") or "")
        details = "; ".join(str(e) for e in error.get("errors") or [] if isinstance(e, str))
    except (ValueError, AttributeError, TypeError):
        return ""
    text = message + (f" ({details})" if details else "")
    return f": {' '.join(text.split())[:200]}" if text else ""
