"""PagerDuty's REST API v2 on loopback (HTTPS, as the client insists), as its reference documents
the parts warroom uses:

- ``POST /incidents``: needs ``Authorization: Token token=…``, the version ``Accept`` header and
  a ``From`` header; the body's ``incident`` needs ``type``, ``title`` and a ``service``
  reference, takes an ``escalation_policy`` or ``assignments`` (not both) and refuses a second
  open incident with the same ``incident_key`` on the service (400, as PagerDuty does);
- ``GET /incidents`` (``incident_key`` filter), ``GET /incidents/{id}``;
- ``GET /oncalls`` (``schedule_ids[]``), paginated with ``limit``/``offset``/``more``.

``acknowledge()`` is a responder acknowledging on their phone.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .json_api import JsonApi, Request

ACCEPT = "application/vnd.pagerduty+json;version=2"


def _error(code: int, message: str, *errors: str) -> tuple[int, dict]:
    return code, {"error": {"message": message, "code": 2001 if code == 400 else 2006, "errors": list(errors)}}


class PagerDutyApi(JsonApi):
    def __init__(self, tls, token: str = "pd-test-token", users: dict[str, str] | None = None) -> None:
        super().__init__(tls)
        self.token = token
        self.users = users or {}  # id -> name
        self.incidents: dict[str, dict] = {}
        self.oncalls: list[dict] = []  # {"schedule", "policy", "user", "level", "start", "end"}

    # -- what a responder does -------------------------------------------------------------
    def acknowledge(self, incident_id: str, user_id: str, at: str) -> None:
        with self.lock:
            incident = self.incidents[incident_id]
            incident["status"] = "acknowledged"
            incident["acknowledgements"].append({"at": at, "acknowledger": self._user(user_id)})
            incident["last_status_change_at"] = at
            incident["last_status_change_by"] = self._user(user_id)

    def _user(self, user_id: str) -> dict:
        return {"id": user_id, "type": "user_reference", "summary": self.users.get(user_id, user_id),
                "self": f"https://api.pagerduty.com/users/{user_id}"}

    # -- the API ---------------------------------------------------------------------------
    def answer(self, req: Request) -> tuple[int, object]:
        if req.headers.get("authorization") != f"Token token={self.token}":
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}
        if req.headers.get("accept") != ACCEPT:
            return _error(400, "Invalid Input Provided", "the Accept header must ask for version 2")
        path = req.path
        if req.method == "POST" and path == "/incidents":
            return self._create(req)
        if req.method == "GET" and path == "/incidents":
            key = (req.query.get("incident_key") or [""])[0]
            found = [i for i in self.incidents.values() if not key or i["incident_key"] == key]
            return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False, "total": None}
        if req.method == "GET" and path.startswith("/incidents/"):
            incident = self.incidents.get(path.rsplit("/", 1)[1])
            return (200, {"incident": incident}) if incident else (404, {"error": {"message": "Not Found",
                                                                                   "code": 2100}})
        if req.method == "GET" and path == "/oncalls":
            return self._oncalls(req)
        return 404, {"error": {"message": "Not Found", "code": 2100}}

    def _create(self, req: Request) -> tuple[int, object]:
        if "@" not in req.headers.get("from", ""):
            return _error(400, "Invalid Input Provided", "A valid 'From' header is required")
        body = req.json() or {}
        incident = body.get("incident") if isinstance(body, dict) else None
        if not isinstance(incident, dict) or incident.get("type") != "incident" or not incident.get("title"):
            return _error(400, "Invalid Input Provided", "incident type and title are required")
        service = incident.get("service") or {}
        if service.get("type") != "service_reference" or not service.get("id"):
            return _error(400, "Invalid Input Provided", "Service is required")
        policy, assignments = incident.get("escalation_policy"), incident.get("assignments")
        if bool(policy) == bool(assignments):
            return _error(400, "Invalid Input Provided", "give an escalation policy or assignments, not both")
        if policy and policy.get("type") != "escalation_policy_reference":
            return _error(400, "Invalid Input Provided", "escalation_policy must be an escalation_policy_reference")
        if assignments and any((a.get("assignee") or {}).get("type") != "user_reference" for a in assignments):
            return _error(400, "Invalid Input Provided", "assignees must be user references")
        key = incident.get("incident_key")
        if key and any(i["incident_key"] == key and i["service"]["id"] == service["id"] and i["status"] != "resolved"
                       for i in self.incidents.values()):
            return _error(400, "Invalid Input Provided",
                          "Open incident with matching dedup key already exists on this service")
        number = len(self.incidents) + 1
        ident = f"PINC{number:03d}"
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        made = {
            "id": ident, "type": "incident", "title": incident["title"], "summary": f"[#{number}] {incident['title']}",
            "incident_number": number, "status": "triggered", "incident_key": key, "created_at": now,
            "service": {"id": service["id"], "type": "service_reference"}, "urgency": incident.get("urgency", "high"),
            "escalation_policy": policy, "assignments": [{"at": now, **a} for a in assignments or []],
            "acknowledgements": [], "body": incident.get("body"), "from": req.headers["from"],
            "self": f"https://api.pagerduty.com/incidents/{ident}",
        }
        self.incidents[ident] = made
        return 201, {"incident": made}

    def _oncalls(self, req: Request) -> tuple[int, object]:
        schedules = req.query.get("schedule_ids[]") or []
        found = [o for o in self.oncalls if not schedules or o["schedule"] in schedules]
        offset, limit = int((req.query.get("offset") or ["0"])[0]), int((req.query.get("limit") or ["25"])[0])
        page = found[offset:offset + limit]
        entries = [{"user": self._user(o["user"]),
                    "schedule": {"id": o["schedule"], "type": "schedule_reference", "summary": o["schedule"]},
                    "escalation_policy": {"id": o.get("policy", "PESCAL1"), "type": "escalation_policy_reference"},
                    "escalation_level": o.get("level", 1), "start": o["start"], "end": o["end"]} for o in page]
        return 200, {"oncalls": entries, "limit": limit, "offset": offset, "more": offset + limit < len(found),
                     "total": None}
