"""Grafana OnCall / IRM's HTTP API: the provider a team can run itself, so paging survives a
SaaS outage.

- A page is ``POST /api/v1/escalation/`` (direct paging): to the person's OnCall user, to a
  team, or to whoever a schedule has on call now (``GET /api/v1/schedules/{id}/``,
  ``on_call_now``). The escalation API has no dedup key, so the warroom key goes into the
  alert group's title and, before any retry, the latest alert groups are searched for it
  (``GET /api/v1/alert_groups/``): a reply lost on the way back is not paged again.
- Acknowledgement is read back from ``GET /api/v1/alert_groups/{id}`` (``state``,
  ``acknowledged_at``, ``acknowledged_by``; the user's name from the contacts file or
  ``GET /api/v1/users/{id}/``).
- Who is on call, and until when: ``GET /api/v1/schedules/{id}/final_shifts``.

Authentication is the ``Authorization`` header holding the token as it is (an OnCall API key,
or a Grafana service account token together with ``X-Grafana-URL``).
"""

from __future__ import annotations

from datetime import timedelta

from ..model.times import to_datetime
from .base import AckState, ProviderDown, ProviderRefused, remote_id, reply_name, reply_time, Sent, Shift
from .contacts import Contact, Contacts
from .settings import PagingSettings

NAME = "oncall"
_STATES = {"acknowledged": "acknowledged", "resolved": "resolved"}


class OnCall:
    name = NAME

    def __init__(self, settings: PagingSettings, contacts: Contacts | None = None) -> None:
        import httpx

        self.settings, self.contacts = settings, contacts
        headers = {"Authorization": settings.oncall_token, "User-Agent": "warroom", "Accept": "application/json"}
        if settings.oncall_grafana_url:
            headers["X-Grafana-URL"] = settings.oncall_grafana_url
        self.client = httpx.Client(base_url=settings.oncall_url, headers=headers, verify=settings.verify,
                                   follow_redirects=False,
                                   timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 5.0)))

    def close(self) -> None:
        self.client.close()

    def _get(self, path: str, **params):
        return self._call("GET", path, params=params or None)

    def _call(self, method: str, path: str, **kwargs):
        import httpx

        what = f"{method} {path.split('?')[0]}"
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ProviderDown(NAME, f"{what}: cannot reach {self.settings.oncall_url} "
                                     f"({type(exc).__name__})") from None
        code = response.status_code
        if code == 429 or code >= 500:
            raise ProviderDown(NAME, f"{what}: HTTP {code}")
        if code >= 400:
            detail = self.settings.scrub(" ".join(response.text.split()))[:200]
            raise ProviderRefused(NAME, f"{what}: HTTP {code}{': ' + detail if detail else ''}", code)
        try:
            return response.json()
        except ValueError:
            raise ProviderRefused(NAME, f"{what}: unreadable reply") from None

    # -- paging ----------------------------------------------------------------------------
    def page(self, request: dict, attempt: int = 1) -> Sent:
        key = request["incident_key"]
        if attempt > 1 and (found := self.find(key)) is not None:
            return found
        body: dict = {"title": f"{request['title'][:200]} [{key}]", "message": request["details"][:10_000]}
        if request.get("oncall_team"):
            body.update(team=request["oncall_team"], important_team_escalation=True)
        else:
            users = ([request["oncall_user"]] if request.get("oncall_user")
                     else self.on_call_now(request["oncall_schedule"]))
            if not users:
                raise ProviderRefused(NAME, f"schedule {request['oncall_schedule']} has no one on call now")
            body["users"] = [{"id": user, "important": True} for user in users]
        group = self._call("POST", "/api/v1/escalation/", json=body)
        if not isinstance(group, dict):
            raise ProviderRefused(NAME, "POST /api/v1/escalation/: unreadable reply")
        return Sent(remote_id(group.get("id"), NAME, "alert group"), f"alert group {group.get('id')}")

    def find(self, key: str) -> Sent | None:
        """The alert group an earlier attempt opened for ``key`` (its title carries the key)."""
        found = self._get("/api/v1/alert_groups/")
        for group in found.get("results") or [] if isinstance(found, dict) else []:
            if isinstance(group, dict) and f"[{key}]" in str(group.get("title") or ""):
                return Sent(remote_id(group.get("id"), NAME, "alert group"), "alert group found by its key")
        return None

    def on_call_now(self, schedule_id: str) -> list[str]:
        ident = remote_id(schedule_id, NAME, "schedule")
        schedule = self._get(f"/api/v1/schedules/{ident}/")
        users = schedule.get("on_call_now") if isinstance(schedule, dict) else None
        return [remote_id(u, NAME, "user") for u in users or []]

    def status(self, group_id: str) -> AckState:
        ident = remote_id(group_id, NAME, "alert group")
        group = self._get(f"/api/v1/alert_groups/{ident}")
        if not isinstance(group, dict):
            raise ProviderRefused(NAME, "GET /api/v1/alert_groups/{id}: unreadable reply")
        state = _STATES.get(group.get("state"))
        if state is None:
            return AckState("open")
        field = "acknowledged" if state == "acknowledged" else "resolved"
        user = group.get(f"{field}_by")
        return AckState(state, self.user_name(user) if user else "", reply_time(group.get(f"{field}_at")))

    def user_name(self, user_id: object) -> str:
        """Who an OnCall user id is: the contacts file's name, else OnCall's username."""
        try:
            ident = remote_id(user_id, NAME, "user")
        except ProviderRefused:
            return ""
        contact = self.contacts.by_user(NAME, ident) if self.contacts else None
        if contact is not None:
            return contact.name
        try:
            user = self._get(f"/api/v1/users/{ident}/")
        except (ProviderDown, ProviderRefused):
            return ident
        return reply_name(user.get("username") if isinstance(user, dict) else "") or ident

    # -- who is on call ----------------------------------------------------------------------
    def on_call(self, schedules: list[Contact], now_ms: int) -> list[Shift]:
        """The shift covering ``now_ms`` of each schedule with an OnCall id, from its final shifts."""
        day = to_datetime(now_ms).date()
        shifts = []
        for contact in schedules:
            if not contact.oncall_schedule:
                continue
            ident = remote_id(contact.oncall_schedule, NAME, "schedule")
            found = self._get(f"/api/v1/schedules/{ident}/final_shifts", start_date=day.isoformat(),
                              end_date=(day + timedelta(days=1)).isoformat())
            for shift in found.get("results") or [] if isinstance(found, dict) else []:
                if not isinstance(shift, dict):
                    continue
                start, end = reply_time(shift.get("shift_start")), reply_time(shift.get("shift_end"))
                if start is not None and start <= now_ms and (end is None or now_ms < end):
                    person = reply_name(shift.get("user_username")) or reply_name(shift.get("user_email"))
                    shifts.append(Shift(NAME, contact.name, person, reply_name(shift.get("user_pk")), end))
                    break
        return shifts
