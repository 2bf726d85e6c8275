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

A post names a target: a built-in one (slack, statuspage, pagerduty) or a named audience
(settings.py), which may also be e-mail (mail.py). It goes through the outbox (outbox.py):
one that cannot go now waits there and is retried, and is recorded once, when it goes.

From a drill, every text is prefixed ``[DRILL] `` and goes only to the drill's own target
for its kind (config.toml ``[drill]``); with none, the post is a dry run: nothing is sent,
and ``update_posted`` is recorded with the channel ``dry-run:<target>`` (a PagerDuty dry
run is a note saying it was not sent), so a rehearsal still practises the cadence.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Callable

from ..model.safe_text import redact
from . import outbox
from .outbox import DeliveryError, Outcome
from .settings import Audience, load_settings, Settings

TARGETS = ("slack", "statuspage", "pagerduty")  # the built-in targets; audiences add more
DEFAULT_TEMPLATE = {"slack": "update", "statuspage": "status-page", "pagerduty": "initial",
                    "email": "customer-email"}
DRILL_MARK = "[DRILL] "
CHANNEL = "post"  # the outbox channel posts go by
NOT_CONFIGURED = {
    "slack": "no webhook configured (WARROOM_SLACK_WEBHOOK_URL or [slack] webhook_url in config.toml)",
    "statuspage": "no API key or page id configured (WARROOM_STATUSPAGE_API_KEY, WARROOM_STATUSPAGE_PAGE_ID "
                  "or [statuspage] in config.toml)",
    "pagerduty": "no routing key configured (WARROOM_PAGERDUTY_ROUTING_KEY or [pagerduty] routing_key in config.toml)",
    "email": "no SMTP relay configured (WARROOM_SMTP_HOST and WARROOM_SMTP_FROM, or [smtp] in config.toml)",
}
PD_ACTIONS = ("trigger", "acknowledge", "resolve")
SP_STATUSES = ("investigating", "identified", "monitoring", "resolved")
SP_COMPONENT = ("operational", "degraded_performance", "partial_outage", "major_outage",
                "under_maintenance")
_PD_SEVERITY = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning", "SEV4": "info"}
_SP_COMPONENT_BY_SEV = {"SEV1": "major_outage", "SEV2": "partial_outage"}
_client = None


class PostError(DeliveryError):
    """A post that failed: ``reason`` is safe to show (no secrets); ``maybe_sent`` warns that
    the service may have it although we saw no reply; ``transient`` that a later try may work."""

    def __init__(self, target: str, reason: str, maybe_sent: bool = False, transient: bool = False) -> None:
        super().__init__(target, reason, transient=transient, maybe_sent=maybe_sent)


@dataclass(frozen=True)
class PostResult:
    target: str
    detail: str
    remote_id: str = ""
    attempts: int = 1


@dataclass(frozen=True)
class Route:
    """Where one post goes, worked out when it is sent: secrets included, so never stored."""

    name: str  # as shown and recorded ("#incidents", "slack")
    kind: str
    webhook: str = ""
    channel: str = ""
    emails: tuple[str, ...] = ()
    page: str = ""
    key: str = ""
    drill: bool = False  # the drill's own target
    dry_run: bool = False  # a drill with no target of this kind: nothing is sent

    def __repr__(self) -> str:
        return f"Route({self.name!r}, {self.kind}, drill={self.drill}, dry_run={self.dry_run})"

    @property
    def recorded_as(self) -> str:
        """The channel ``update_posted`` names."""
        if self.dry_run:
            return f"dry-run:{self.name}"
        if self.drill:
            return f"drill:{self.name}"
        # an e-mail says so, whatever the audience is called: the customer-email clock reads it
        if self.kind == "email" and not self.name.lower().startswith("email"):
            return f"email:{self.name}"
        return self.name


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
                                                        f"{exc}) after {attempt} attempts"),
                                    transient=True) from None
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
                    raise PostError(target, f"{what} after {attempt} attempts", maybe_sent=True,
                                    transient=True) from None
                self.sleep(min(2.0 ** (attempt - 1) * 0.25, s.max_wait))
                continue
            code = response.status_code
            if code == 429 or code >= 500:
                wait = _retry_after(response.headers.get("Retry-After"), time.time())
                if last:
                    raise PostError(target, f"HTTP {code} {response.reason_phrase} after {attempt} attempts",
                                    transient=True)
                if wait is not None and wait > s.max_wait:
                    raise PostError(target, f"HTTP {code}: asked to retry after {wait:g} s "
                                            f"(more than {s.max_wait:g} s)", transient=True)
                self.sleep(wait if wait is not None else min(2.0 ** (attempt - 1) * 0.5, s.max_wait))
                continue
            if code >= 400:
                body = self._scrub(" ".join(response.text.split()))[:200]  # masked whole, then cut
                raise PostError(target, self._scrub(f"HTTP {code} {response.reason_phrase}: {body}"))
            response.attempts = attempt
            return response

    # -- Slack ----------------------------------------------------------------------------
    def slack(self, text: str, title: str = "", *, webhook: str = "", channel: str = "",
              target: str = "slack") -> PostResult:
        url = webhook or self.settings.slack_webhook
        if not url:
            raise PostError(target, NOT_CONFIGURED["slack"])
        blocks = []
        if title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": title[:150]}})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        body = {"text": text, "blocks": blocks}
        if channel:
            body["channel"] = channel  # honoured by webhooks allowed to pick their channel
        response = self._request(target, "POST", url, replay_safe=False, json=body)
        return PostResult(target, "posted", attempts=response.attempts)

    # -- Statuspage ------------------------------------------------------------------------
    def _sp(self, page: str = "", key: str = "") -> tuple[str, dict]:
        s = self.settings
        page, key = page or s.statuspage_page, key or s.statuspage_key
        if not (key and page):
            raise PostError("statuspage", NOT_CONFIGURED["statuspage"])
        base = f"{s.statuspage_url.rstrip('/')}/pages/{page}"
        return base, {"Authorization": f"OAuth {key}"}

    def statuspage_find(self, incident_id: str, page: str = "", key: str = "") -> str | None:
        """An unresolved Statuspage incident we created for this incident, by its metadata."""
        base, headers = self._sp(page, key)
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
                   component_status: str = "", known_id: str = "", *, page: str = "", key: str = "",
                   components: list[str] | None = None, notify: bool | None = None) -> PostResult:
        """Create the incident (looking it up first) or move it to ``status``.

        ``components`` are the affected ones (default: every configured one), set to
        ``component_status``; ``notify`` is Statuspage's ``deliver_notifications``: whether
        subscribers are told (left to the page's default when None)."""
        if status not in SP_STATUSES:
            raise PostError("statuspage", f"unknown status {status!r} (one of: {', '.join(SP_STATUSES)})")
        base, headers = self._sp(page, key)
        comps = self.settings.statuspage_components if components is None else components
        incident = {"status": status, "body": body}
        if comps and component_status:
            incident.update(component_ids=list(comps), components={c: component_status for c in comps})
        if notify is not None:
            incident["deliver_notifications"] = bool(notify)
        remote = known_id or self.statuspage_find(incident_id, page, key)
        if remote:
            response = self._request("statuspage", "PATCH", f"{base}/incidents/{remote}",
                                     replay_safe=True, headers=headers, json={"incident": incident})
            return PostResult("statuspage", f"updated ({status})", remote, response.attempts)
        incident.update(name=name, metadata={"warroom": {"incident_id": incident_id}})
        response = self._request("statuspage", "POST", f"{base}/incidents", replay_safe=True,
                                 headers=headers, json={"incident": incident},
                                 on_lost=lambda: self.statuspage_find(incident_id, page, key))
        if isinstance(response, str):
            return PostResult("statuspage", f"created ({status}; found after a lost reply)", response)
        try:
            remote = str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise PostError("statuspage", "created, but the reply has no incident id") from None
        return PostResult("statuspage", f"created ({status})", remote, response.attempts)

    # -- PagerDuty ---------------------------------------------------------------------------
    def pagerduty(self, incident_id: str, action: str, summary: str, severity: str = "",
                  details: dict | None = None, *, key: str = "") -> PostResult:
        if action not in PD_ACTIONS:
            raise PostError("pagerduty", f"unknown action {action!r} (one of: {', '.join(PD_ACTIONS)})")
        key = key or self.settings.pagerduty_key
        if not key:
            raise PostError("pagerduty", NOT_CONFIGURED["pagerduty"])
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


def drill_text(text: str) -> str:
    """A drill's text, marked as one at its start (once)."""
    return text if text.startswith(DRILL_MARK.strip()) else DRILL_MARK + text


# -- where a post goes ---------------------------------------------------------------------
def route(settings: Settings, target: str, state) -> Route:
    """Where ``target`` (a built-in target or an audience) goes for this incident. From a
    drill: the drill's own target of that kind, else a dry run. Refused (PostError, nothing
    sent) when the target is unknown or not configured."""
    audience = settings.audience(target, state.slug)
    if audience is None:
        known = ", ".join(n.replace("{slug}", state.slug) for n in settings.audience_names(state.policy or "")
                          if settings.audience(n, state.slug) is not None)
        raise PostError(target, f"no such audience or target (known: {known}; [[audiences]] in config.toml)")
    name = audience.named(state.slug)
    if state.drill:
        return _drill_route(settings, audience, name)
    if audience.kind == "slack":
        hook = audience.slack_webhook or (settings.slack_webhook if audience.name == "slack" else "")
        if not hook:
            raise PostError(name, f"no webhook: ${audience.webhook_env} is not set" if audience.webhook_env
                            else NOT_CONFIGURED["slack"])
        return Route(name, "slack", hook, audience.channel.replace("{slug}", state.slug))
    if not settings.configured()[audience.kind]:
        raise PostError(name, NOT_CONFIGURED[audience.kind])
    return Route(name, audience.kind, emails=audience.emails)


def _drill_route(settings: Settings, audience: Audience, name: str) -> Route:
    drill = settings.drill
    if audience.kind not in drill.kinds():
        return Route(name, audience.kind, dry_run=True)
    if audience.kind == "slack":
        return Route(name, "slack", drill.slack_webhook, drill=True)
    if audience.kind == "email":
        if not settings.configured()["email"]:
            raise PostError(name, NOT_CONFIGURED["email"])
        return Route(name, "email", emails=drill.emails, drill=True)
    if audience.kind == "statuspage":
        key = drill.statuspage_key or settings.statuspage_key
        if not key:
            raise PostError(name, "the drill's status page has no API key ([drill] statuspage_api_key or "
                                  "[statuspage] api_key)")
        return Route(name, "statuspage", page=drill.statuspage_page, key=key, drill=True)
    return Route(name, "pagerduty", key=drill.pagerduty_key, drill=True)


# -- posting -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Posted:
    """What became of one post: ``state`` is sent, dry-run, waiting, ask, failed or taken."""

    target: str
    state: str
    detail: str
    text: str
    delivery: str = ""
    remote_id: str = ""
    attempts: int = 1
    recorded_as: str = ""

    @property
    def ok(self) -> bool:
        return self.state in ("sent", "dry-run")


def request_for(room, incident_id: str, target: str, text: str, settings: Settings, *, action: str = "",
                status: str = "", components: list[str] | None = None,
                notify: bool | None = None) -> tuple[Route, dict]:
    """The route and the stored request (no secrets) of a post, as decided now."""
    from ..model import clocks

    state = room.state(incident_id)
    where = route(settings, target, state)
    resolved = clocks.is_resolved(state, room.policy_for(state))
    drill = bool(state.drill)
    mark = drill_text if drill else (lambda t: t)
    req: dict = {"target": target, "kind": where.kind, "name": where.name, "recorded_as": where.recorded_as,
                 "text": mark(text)}
    if where.kind == "statuspage":
        headers, body = split_headers(text)
        req.update(title=mark(headers.get("title") or state.title), body=mark(body or text),
                   status=status or statuspage_status(state.status),
                   component_status=component_status(state.severity, resolved),
                   components=list(settings.statuspage_components) if components is None else list(components),
                   notify=True if notify is None else bool(notify))
    elif where.kind == "email":
        headers, body = split_headers(text)
        req.update(subject=mark(headers.get("subject") or headers.get("title") or state.title), body=mark(body or text))
    elif where.kind == "pagerduty":
        from .templates import pagerduty_summary

        req.update(action=action or ("resolve" if resolved else "trigger"), summary=mark(pagerduty_summary(state)),
                   severity=state.severity,
                   details={"incident": incident_id, "status": state.status, "title": state.title})
    return where, req


def post(room, incident_id: str, target: str, text: str, poster: Poster | None = None, *, action: str = "",
         status: str = "", components: list[str] | None = None, notify: bool | None = None) -> Posted:
    """Post ``text`` to ``target`` for an incident, through the outbox; a drill's post with no
    drill target is recorded as a dry run instead. Refused before anything is kept or sent
    (PostError, ConfigError) when the target is unknown or not configured."""
    poster = poster or Poster()
    where, req = request_for(room, incident_id, target, text, poster.settings, action=action, status=status,
                             components=components, notify=notify)
    if where.dry_run:
        room.record_all(_items(room, incident_id, req, None))
        return Posted(target, "dry-run", f"dry run: a drill posts nowhere without a [drill] {where.kind} target; "
                      f"nothing sent, recorded as {where.recorded_as}", req["text"], recorded_as=where.recorded_as)
    senders = {CHANNEL: sender(poster)}
    dedup = dedup_key(incident_id) if where.kind == "pagerduty" else ""
    delivery = outbox.queue(room, incident_id, CHANNEL, where.name, req, dedup, senders)
    return posted(outbox.attempt(room, delivery, senders))


def posted(outcome: Outcome) -> Posted:
    """An outbox outcome as the CLI and the comms pane say it."""
    d, req = outcome.delivery, outcome.delivery.request
    if outcome.state == outbox.SENT and outcome.sent is not None:
        return Posted(d.target, "sent", outcome.sent.detail, req.get("text", ""), d.id, outcome.sent.remote_id,
                      outcome.sent.attempts, req.get("recorded_as", d.target))
    return Posted(d.target, outcome.state, outcome.error, req.get("text", ""), d.id, attempts=d.attempts,
                  recorded_as=req.get("recorded_as", d.target))


def deliver(room, incident_id: str, target: str, text: str, poster: Poster | None = None, *,
            action: str = "", status: str = "") -> PostResult:
    """Post and record; anything but sent raises PostError (a post that may still go stays
    waiting in the outbox, one that may have gone asks)."""
    done = post(room, incident_id, target, text, poster, action=action, status=status)
    if done.state not in ("sent", "dry-run"):
        raise PostError(done.target, done.detail, maybe_sent=done.state == outbox.ASK,
                        transient=done.state == outbox.WAITING)
    return PostResult(done.target, done.detail, done.remote_id, done.attempts)


# -- the outbox's sender for posts ---------------------------------------------------------
def sender(poster: Poster | None = None) -> outbox.Sender:
    """How the outbox sends posts: with ``poster``, else with the settings as they are when
    each post goes (config.toml may have been fixed since it was queued)."""

    def get() -> Poster:
        return poster if poster is not None else Poster()

    def lease_ms() -> int:
        s = get().settings
        return int(((s.timeout + s.max_wait) * (s.retries + 1) + 30) * 1000)

    return outbox.Sender(send=lambda room, d: _send(get(), room, d), items=_sent_items,
                         replay_safe=lambda d: d.request.get("kind") in ("statuspage", "pagerduty"),
                         lease_ms=lease_ms)


def _send(poster: Poster, room, delivery) -> outbox.Sent:
    req = delivery.request
    state = room.state(delivery.incident)
    where = route(poster.settings, req["target"], state)
    if where.dry_run or where.kind != req["kind"]:
        raise PostError(req["name"], f"its target changed since it was queued ({where.kind}"
                                     f"{', dry run' if where.dry_run else ''}): not sent")
    if where.kind == "slack":
        result = poster.slack(req["text"], webhook=where.webhook, channel=where.channel, target=where.name)
    elif where.kind == "statuspage":
        result = poster.statuspage(delivery.incident, req["title"], req["body"], req["status"],
                                   req["component_status"], str(state.get("statuspage_incident") or ""),
                                   page=where.page, key=where.key,
                                   components=req.get("components"), notify=req.get("notify"))
    elif where.kind == "pagerduty":
        result = poster.pagerduty(delivery.incident, req["action"], req["summary"], req["severity"],
                                  req.get("details"), key=where.key)
    else:
        from . import mail

        msg = mail.message(poster.settings, where.emails, req["subject"], req["body"],
                           message_id=delivery.id, now_ms=room.clock())
        try:
            detail = mail.send(poster.settings, where.emails, msg)
        except DeliveryError as exc:
            raise PostError(where.name, poster._scrub(exc.reason), exc.maybe_sent, exc.transient) from None
        return outbox.Sent(detail)
    return outbox.Sent(result.detail, result.remote_id, result.attempts)


def _sent_items(room, delivery, sent: outbox.Sent) -> list:
    return _items(room, delivery.incident, delivery.request, sent)


def _items(room, incident_id: str, req: dict, sent: outbox.Sent | None) -> list:
    """The events that record a post: ``update_posted`` (it resets the update clock) and the
    Statuspage incident's id as a field; a note for PagerDuty. ``sent`` None: a dry run."""
    channel, text = req["recorded_as"], req["text"]
    if req["kind"] == "pagerduty":
        action = req.get("action", "trigger")
        if sent is None:
            line = f"{DRILL_MARK}PagerDuty {action} not sent: a drill's dry run ({req.get('summary', '')})"
        elif sent.detail == "marked as sent":
            line = f"PagerDuty {action} marked as sent (dedup key {dedup_key(incident_id)})"
        else:
            line = f"PagerDuty {action} sent (dedup key {sent.remote_id})"
        return [room.note_item(incident_id, line, "action")]
    items = []
    if req["kind"] == "statuspage" and sent is not None and sent.remote_id:
        state = room.state(incident_id)
        if sent.remote_id != str(state.get("statuspage_incident") or ""):
            items.append((incident_id, "field", {"name": "statuspage_incident", "value": sent.remote_id,
                                                 "supersedes": state.head("statuspage_incident")}, None))
    items.append((incident_id, "update_posted", {"text": text, "channel": channel}, None))
    return items


outbox.register(CHANNEL, sender())
