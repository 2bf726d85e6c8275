"""Posting updates: Slack incoming webhooks, Statuspage incidents, PagerDuty Events API v2.

One ``httpx.Client`` per process (building one costs ≈ 28 ms for the CA bundle), imported
only when something is posted. Retries follow what each service can de-duplicate:

- a request that never reached the server (connect error, pool timeout) is always retried;
- 429 and 5xx are retried, waiting what ``Retry-After`` asks (capped), else backing off;
- a *lost reply* (timeout or dropped connection after sending) is retried only where a
  replay cannot post twice: PagerDuty carries a stable ``dedup_key``, a Statuspage update is
  a PATCH, and a Statuspage create is retried only after looking the incident up first.
  Slack webhooks have no idempotency, so a lost reply there is reported, not replayed.

Secrets (webhook URL, API key, routing key) come from the environment or the config file,
and are scrubbed from every message this module produces; none is ever put in an event.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Callable

from ..errors import WarroomError
from ..model.safe_text import redact
from .settings import load_settings, Settings

TARGETS = ("slack", "statuspage", "pagerduty")
PD_ACTIONS = ("trigger", "acknowledge", "resolve")
SP_STATUSES = ("investigating", "identified", "monitoring", "resolved")
SP_COMPONENT = ("operational", "degraded_performance", "partial_outage", "major_outage",
                "under_maintenance")
_PD_SEVERITY = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"}
_SP_COMPONENT_BY_SEV = {"SEV1": "major_outage", "SEV2": "partial_outage"}
_client = None


class PostError(WarroomError):
    """A post that failed: ``reason`` is safe to show (no secrets); ``maybe_sent`` warns that
    the service may have it although we saw no reply."""

    exit_code = 1  # the input was fine: the service failed, and a retry may work

    def __init__(self, target: str, reason: str, maybe_sent: bool = False) -> None:
        super().__init__(f"{target}: {reason}")
        self.target, self.reason, self.maybe_sent = target, reason, maybe_sent


class DrillRefused(WarroomError):
    """Posting from a drill: refused before anything is sent, so a rehearsal never pages
    anyone or opens a public incident."""

    def __init__(self, incident_id: str) -> None:
        super().__init__(f"{incident_id} is a drill: posting is refused (nothing was sent)")


def refuse_drill(state) -> None:
    if state.drill:
        raise DrillRefused(state.id)



@dataclass(frozen=True)
class PostResult:
    target: str
    detail: str
    remote_id: str = ""
    attempts: int = 1


def shared_client():
    """The process-wide HTTP client, made on first use."""
    global _client
    if _client is None:
        import httpx

        _client = httpx.Client(follow_redirects=False, headers={"User-Agent": "warroom"})
    return _client


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError):
        return None


class Poster:
    def __init__(self, settings: Settings | None = None, client=None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings or load_settings()
        self.client = client
        self.sleep = sleep

    # -- transport -----------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        for secret in self.settings.secrets():
            text = text.replace(secret, "***")
        return redact(text)

    def _request(self, target: str, method: str, url: str, *, replay_safe: bool,
                 on_lost: Callable[[], object] | None = None, **kwargs):
        import httpx

        s = self.settings
        client = self.client or shared_client()
        timeout = httpx.Timeout(s.timeout, connect=min(s.timeout, 5.0))
        attempt = 0
        while True:
            attempt += 1
            last = attempt > s.retries
            try:
                response = client.request(method, url, timeout=timeout, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                if last:
                    raise PostError(target, self._scrub(f"cannot connect ({exc.__class__.__name__}: "
                                                        f"{exc}) after {attempt} attempts")) from None
                self.sleep(min(2.0 ** (attempt - 1) * 0.25, s.max_wait))
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                what = (f"no reply within {s.timeout:g} s" if isinstance(exc, httpx.TimeoutException)
                        else "the connection dropped before the reply")
                if not replay_safe:
                    raise PostError(target, f"{what}; it may have been posted — check the channel "
                                            "before posting again", maybe_sent=True) from None
                if on_lost is not None:
                    found = on_lost()
                    if found is not None:
                        return found
                if last:
                    raise PostError(target, f"{what} after {attempt} attempts", maybe_sent=True) from None
                self.sleep(min(2.0 ** (attempt - 1) * 0.25, s.max_wait))
                continue
            code = response.status_code
            if code == 429 or code >= 500:
                wait = _retry_after(response.headers.get("Retry-After"), time.time())
                if last:
                    raise PostError(target, f"HTTP {code} {response.reason_phrase} after {attempt} attempts")
                if wait is not None and wait > s.max_wait:
                    raise PostError(target, f"HTTP {code}: asked to retry after {wait:g} s "
                                            f"(more than {s.max_wait:g} s)")
                self.sleep(wait if wait is not None else min(2.0 ** (attempt - 1) * 0.5, s.max_wait))
                continue
            if code >= 400:
                body = self._scrub(" ".join(response.text.split()))[:200]  # masked whole, then cut
                raise PostError(target, self._scrub(f"HTTP {code} {response.reason_phrase}: {body}"))
            response.attempts = attempt
            return response

    # -- Slack ----------------------------------------------------------------------------
    def slack(self, text: str, title: str = "") -> PostResult:
        url = self.settings.slack_webhook
        if not url:
            raise PostError("slack", "no webhook configured (WARROOM_SLACK_WEBHOOK_URL or "
                                     "[slack] webhook_url in config.toml)")
        blocks = []
        if title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": title[:150]}})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        response = self._request("slack", "POST", url, replay_safe=False,
                                 json={"text": text, "blocks": blocks})
        return PostResult("slack", "posted", attempts=response.attempts)

    # -- Statuspage ------------------------------------------------------------------------
    def _sp(self) -> tuple[str, dict]:
        s = self.settings
        if not (s.statuspage_key and s.statuspage_page):
            raise PostError("statuspage", "no API key or page id configured (WARROOM_STATUSPAGE_API_KEY, "
                                          "WARROOM_STATUSPAGE_PAGE_ID or [statuspage] in config.toml)")
        base = f"{s.statuspage_url.rstrip('/')}/pages/{s.statuspage_page}"
        return base, {"Authorization": f"OAuth {s.statuspage_key}"}

    def statuspage_find(self, incident_id: str) -> str | None:
        """An unresolved Statuspage incident we created for this incident, by its metadata."""
        base, headers = self._sp()
        response = self._request("statuspage", "GET", f"{base}/incidents/unresolved",
                                 replay_safe=True, headers=headers)
        try:
            found = response.json()
        except ValueError:
            raise PostError("statuspage", "unreadable reply to the incident look-up") from None
        for item in found if isinstance(found, list) else []:
            meta = (item.get("metadata") or {}).get("warroom") or {}
            if isinstance(meta, dict) and meta.get("incident_id") == incident_id:
                return str(item.get("id"))
        return None

    def statuspage(self, incident_id: str, name: str, body: str, status: str,
                   component_status: str = "", known_id: str = "") -> PostResult:
        """Create the incident (looking it up first) or move it to ``status``."""
        if status not in SP_STATUSES:
            raise PostError("statuspage", f"unknown status {status!r} (one of: {', '.join(SP_STATUSES)})")
        base, headers = self._sp()
        comps = self.settings.statuspage_components
        incident = {"status": status, "body": body}
        if comps and component_status:
            incident.update(component_ids=list(comps), components={c: component_status for c in comps})
        remote = known_id or self.statuspage_find(incident_id)
        if remote:
            response = self._request("statuspage", "PATCH", f"{base}/incidents/{remote}",
                                     replay_safe=True, headers=headers, json={"incident": incident})
            return PostResult("statuspage", f"updated ({status})", remote, response.attempts)
        incident.update(name=name, metadata={"warroom": {"incident_id": incident_id}})
        response = self._request("statuspage", "POST", f"{base}/incidents", replay_safe=True,
                                 headers=headers, json={"incident": incident},
                                 on_lost=lambda: self.statuspage_find(incident_id))
        if isinstance(response, str):
            return PostResult("statuspage", f"created ({status}; found after a lost reply)", response)
        try:
            remote = str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise PostError("statuspage", "created, but the reply has no incident id") from None
        return PostResult("statuspage", f"created ({status})", remote, response.attempts)

    # -- PagerDuty ---------------------------------------------------------------------------
    def pagerduty(self, incident_id: str, action: str, summary: str, severity: str = "",
                  details: dict | None = None) -> PostResult:
        if action not in PD_ACTIONS:
            raise PostError("pagerduty", f"unknown action {action!r} (one of: {', '.join(PD_ACTIONS)})")
        key = self.settings.pagerduty_key
        if not key:
            raise PostError("pagerduty", "no routing key configured (WARROOM_PAGERDUTY_ROUTING_KEY or "
                                         "[pagerduty] routing_key in config.toml)")
        body = {"routing_key": key, "event_action": action, "dedup_key": dedup_key(incident_id)}
        if action == "trigger":
            body["payload"] = {"summary": summary[:1024] or incident_id, "source": "warroom",
                               "severity": _PD_SEVERITY.get(severity, "error"),
                               "custom_details": details or {}}
        url = f"{self.settings.pagerduty_url.rstrip('/')}/v2/enqueue"
        response = self._request("pagerduty", "POST", url, replay_safe=True, json=body)
        return PostResult("pagerduty", f"{action} accepted", body["dedup_key"], response.attempts)


def dedup_key(incident_id: str) -> str:
    """Stable per incident, so a replayed trigger/ack/resolve is de-duplicated by PagerDuty."""
    return f"warroom-{incident_id}"


def statuspage_status(policy_status: str) -> str:
    """Map a playbook status onto Statuspage's four (Mitigating counts as identified)."""
    key = policy_status.strip().lower()
    if key in SP_STATUSES:
        return key
    return "identified" if key in ("mitigating", "mitigation") else "investigating"


def component_status(severity: str, resolved: bool) -> str:
    if resolved:
        return "operational"
    return _SP_COMPONENT_BY_SEV.get(severity, "degraded_performance")


def split_headers(text: str) -> tuple[dict[str, str], str]:
    """Leading ``Title:`` / ``Status:`` / ``Subject:`` lines of a template, and the rest."""
    headers, lines = {}, text.splitlines()
    while lines and ":" in lines[0] and lines[0].split(":", 1)[0].strip().lower() in ("title", "status", "subject"):
        key, value = lines.pop(0).split(":", 1)
        headers[key.strip().lower()] = value.strip()
    while lines and not lines[0].strip():
        lines.pop(0)
    return headers, "\n".join(lines)


def send(room, incident_id: str, target: str, text: str, poster: Poster | None = None, *,
         action: str = "", status: str = "") -> PostResult:
    """Post to one target; only reads the room, so it can run in a worker thread."""
    from ..model import clocks

    if target not in TARGETS:
        raise PostError(target, f"unknown target (one of: {', '.join(TARGETS)})")
    state = room.state(incident_id)
    refuse_drill(state)
    resolved = clocks.is_resolved(state, room.policy_for(state))

    poster = poster or Poster()
    if target == "slack":
        return poster.slack(text)
    if target == "statuspage":
        headers, body = split_headers(text)
        return poster.statuspage(incident_id, headers.get("title") or state.title, body or text,
                                 status or statuspage_status(state.status),
                                 component_status(state.severity, resolved),
                                 str(state.get("statuspage_incident") or ""))
    action = action or ("resolve" if resolved else "trigger")
    first = text.strip().splitlines()[0] if text.strip() else state.title
    return poster.pagerduty(incident_id, action, first, state.severity,
                            {"incident": incident_id, "status": state.status, "title": state.title})


def record(room, incident_id: str, text: str, result: PostResult) -> None:
    """What a successful post leaves in the log: ``update_posted`` (resets the update clock)
    for Slack and Statuspage, the Statuspage incident id as a field, an entry for PagerDuty."""
    if result.target == "pagerduty":
        action = result.detail.split()[0]
        room.note(incident_id, f"PagerDuty {action} sent (dedup key {result.remote_id})", kind="action")
        return
    if result.target == "statuspage" and result.remote_id:
        if result.remote_id != str(room.state(incident_id).get("statuspage_incident") or ""):
            room.set_field(incident_id, "statuspage_incident", result.remote_id)
    room.update_posted(incident_id, text, result.target)


def deliver(room, incident_id: str, target: str, text: str, poster: Poster | None = None, *,
            action: str = "", status: str = "") -> PostResult:
    """Post, then record. A failure raises PostError and records nothing: the incident goes on."""
    result = send(room, incident_id, target, text, poster, action=action, status=status)
    record(room, incident_id, text, result)
    return result
