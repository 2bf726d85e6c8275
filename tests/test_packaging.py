"""Installed from a wheel, warroom finds its styles, policies and runbooks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_styles_policies_and_runbooks(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("warroom-*.whl")
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    code = ("import warroom.config as l, warroom.model.policy as p, warroom.diagnostics.runbooks as r;"
            "print(l.data_dir('styles') / 'warroom.tcss');"
            "print(sorted(x.stem for x in p.policy_paths()));"
            "print(sorted(b.id for b in r.load_runbooks()[0]))")
    env = {"PYTHONPATH": str(site), "WARROOM_CONFIG_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert Path(out[0]).is_file() and Path(out[0]).is_relative_to(site)
    assert out[1] == "['cygni', 'sre-team']"
    assert "high-error-rate" in out[2] and "service-unreachable" in out[2]
