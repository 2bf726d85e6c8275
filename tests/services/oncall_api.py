"""Grafana OnCall's HTTP API on loopback, as its reference documents the parts warroom uses:

- ``POST /api/v1/escalation/`` (direct paging): ``users`` (``id``, ``important``) or a ``team``,
  not both; answers with the alert group it opened;
- ``GET /api/v1/alert_groups/`` and ``GET /api/v1/alert_groups/{id}``: ``state``
  (firing, acknowledged, resolved), ``acknowledged_at``, ``acknowledged_by`` (a user id);
- ``GET /api/v1/schedules/{id}/`` (``on_call_now``) and ``…/final_shifts?start_date=&end_date=``;
- ``GET /api/v1/users/{id}/``.

Authentication is the ``Authorization`` header holding the token itself.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .json_api import JsonApi, Request


def _page(results: list) -> dict:
    return {"count": len(results), "next": None, "previous": None, "results": results,
            "current_page_number": 1, "page_size": 50, "total_pages": 1}


class OnCallApi(JsonApi):
    def __init__(self, token: str = "oncall-test-token", users: dict[str, str] | None = None) -> None:
        super().__init__(tls=None)
        self.token = token
        self.users = users or {}  # id -> username
        self.groups: dict[str, dict] = {}
        self.schedules: dict[str, dict] = {}  # id -> {"name", "on_call_now": [...], "shifts": [...]}

    def acknowledge(self, group_id: str, user_id: str, at: str) -> None:
        with self.lock:
            self.groups[group_id].update(state="acknowledged", acknowledged_at=at, acknowledged_by=user_id)

    def answer(self, req: Request) -> tuple[int, object]:
        if req.headers.get("authorization") != self.token:
            return 401, {"detail": "Invalid token."}
        path = req.path
        if req.method == "POST" and path == "/api/v1/escalation/":
            return self._escalate(req)
        if req.method == "GET" and path == "/api/v1/alert_groups/":
            return 200, _page(sorted(self.groups.values(), key=lambda g: g["created_at"], reverse=True))
        if req.method == "GET" and path.startswith("/api/v1/alert_groups/"):
            group = self.groups.get(path.rstrip("/").rsplit("/", 1)[1])
            return (200, group) if group else (404, {"detail": "Not found."})
        if req.method == "GET" and path.startswith("/api/v1/schedules/"):
            parts = path.strip("/").split("/")  # api v1 schedules ID [final_shifts]
            schedule = self.schedules.get(parts[3]) if len(parts) > 3 else None
            if schedule is None:
                return 404, {"detail": "Not found."}
            if len(parts) == 5 and parts[4] == "final_shifts":
                if not (req.query.get("start_date") and req.query.get("end_date")):
                    return 400, {"start_date": ["This field is required."]}
                return 200, _page(schedule["shifts"])
            return 200, {"id": parts[3], "name": schedule["name"], "type": "calendar", "team_id": None,
                         "time_zone": "UTC", "on_call_now": schedule["on_call_now"], "shifts": [],
                         "slack": {"channel_id": None, "user_group_id": None}}
        if req.method == "GET" and path.startswith("/api/v1/users/"):
            ident = path.rstrip("/").rsplit("/", 1)[1]
            if ident not in self.users:
                return 404, {"detail": "Not found."}
            return 200, {"id": ident, "email": f"{self.users[ident]}@example.com", "slack": None,
                         "username": self.users[ident], "role": "user", "timezone": "UTC", "teams": []}
        return 404, {"detail": "Not found."}

    def _escalate(self, req: Request) -> tuple[int, object]:
        body = req.json() or {}
        users, team = body.get("users") or [], body.get("team")
        if users and team:
            return 400, {"non_field_errors": ["users and team are mutually exclusive"]}
        if not users and not team:
            return 400, {"detail": "No users or team to page"}
        for user in users:
            if not isinstance(user.get("important"), bool) or user.get("id") not in self.users:
                return 400, {"users": [f"User {user.get('id')} does not exist"]}
        ident = f"IGRP{len(self.groups) + 1:04d}"
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.groups[ident] = {
            "id": ident, "integration_id": "CMANUAL", "route_id": "RMANUAL", "team_id": team, "alerts_count": 1,
            "state": "firing", "created_at": now, "resolved_at": None, "resolved_by": None, "acknowledged_at": None,
            "acknowledged_by": None, "title": body.get("title"), "labels": [],
            "permalinks": {"slack": None, "slack_app": None, "telegram": None, "web": f"http://grafana/a/{ident}"},
            "silenced_at": None, "paged_users": [u["id"] for u in users], "message": body.get("message"),
        }
        return 200, self.groups[ident]
