"""Paging against real servers on loopback: PagerDuty's REST API over HTTPS (a throwaway
certificate the settings name as the CA) and Grafana OnCall's over HTTP, a contacts file in a
config directory of the test's own, and the providers' settings in the environment."""

from __future__ import annotations

import pytest

from ..services.json_api import make_cert
from ..services.oncall_api import OnCallApi
from ..services.pagerduty_api import PagerDutyApi
from ..sync.conftest import terminal  # noqa: F401  (terminals over one redis-server)

PD_TOKEN = "pd-secret-token-0123456789"
ONCALL_TOKEN = "oncall-secret-token-9876543210"
CONTACTS = """
[[people]]
name = "dana"
phone = "+46 70 123 45 67"
chat = "@dana"
pagerduty_user = "PUSER01"

[[people]]
name = "erik"
phone = "+46 70 765 43 21"
chat = "@erik"
oncall_user = "UERIK0001"

[[schedules]]
name = "cygni-primary-oncall"
phone = "+1 555 0100"
chat = "#incidents"
pagerduty_schedule = "PSCHED1"
pagerduty_escalation_policy = "PESCAL1"

[[schedules]]
name = "cygni-management-escalation"
pagerduty_schedule = "PSCHED3"
pagerduty_escalation_policy = "PESCAL3"

[[schedules]]
name = "primary-oncall"
pagerduty_escalation_policy = "PESCAL1"

[[schedules]]
name = "secondary-oncall"
pagerduty_escalation_policy = "PESCAL2"

[[schedules]]
name = "db-oncall"
chat = "#db"
oncall_schedule = "SDBONCALL01"
"""


@pytest.fixture
def cert(tmp_path):
    return make_cert(tmp_path / "tls")


@pytest.fixture
def pd_api(cert):
    api = PagerDutyApi(cert, token=PD_TOKEN, users={"PUSER01": "Dana Lund", "PUSER02": "Sam Berg"}).start()
    yield api
    api.stop()


@pytest.fixture
def oncall_api():
    api = OnCallApi(token=ONCALL_TOKEN, users={"UERIK0001": "erik", "UKIM00001": "kim"}).start()
    yield api
    api.stop()


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "contacts.toml").write_text(CONTACTS)
    monkeypatch.setenv("WARROOM_CONFIG_DIR", str(folder))
    for var in ("WARROOM_PAGERDUTY_API_URL", "WARROOM_PAGERDUTY_API_TOKEN", "WARROOM_PAGERDUTY_FROM",
                "WARROOM_PAGERDUTY_SERVICE", "WARROOM_ONCALL_API_URL", "WARROOM_ONCALL_API_TOKEN",
                "WARROOM_ONCALL_GRAFANA_URL", "WARROOM_PAGING_CA_FILE", "WARROOM_PAGING_TIMEOUT", "WARROOM_STORE"):
        monkeypatch.delenv(var, raising=False)
    return folder


@pytest.fixture
def paging(config_dir, monkeypatch, pd_api, oncall_api, cert):
    """Both providers set up in the environment, the way a user sets them."""
    monkeypatch.setenv("WARROOM_PAGERDUTY_API_URL", pd_api.url)
    monkeypatch.setenv("WARROOM_PAGERDUTY_API_TOKEN", PD_TOKEN)
    monkeypatch.setenv("WARROOM_PAGERDUTY_FROM", "warroom-bot@example.com")
    monkeypatch.setenv("WARROOM_PAGERDUTY_SERVICE", "PSERVICE1")
    monkeypatch.setenv("WARROOM_PAGING_CA_FILE", str(cert[0]))
    monkeypatch.setenv("WARROOM_PAGING_TIMEOUT", "3")
    monkeypatch.setenv("WARROOM_ONCALL_API_URL", oncall_api.url)
    monkeypatch.setenv("WARROOM_ONCALL_API_TOKEN", ONCALL_TOKEN)
    return pd_api, oncall_api


def all_text(room) -> str:
    """Everything the room's log holds, events and deliveries: where a token must never be."""
    events = "".join(e.to_json() for i in room.incident_ids() for e in room.events(i))
    deliveries = "".join(str(row) for row in room.deliveries())
    return events + deliveries
