"""Staffing a war room from a cold console on a real terminal takes at most 12 keys that are
not content: declare a SEV1 with a title, four roles to four people, the first update
(bench/ergonomics.py is the script, and prints the figure)."""

from __future__ import annotations

from bench import ergonomics


def test_declare_staff_and_first_update_in_at_most_12_command_keys(tmp_path):
    keys, wrong = ergonomics.run(tmp_path)
    assert wrong is None
    assert keys.content == len(ergonomics.TITLE) + sum(map(len, ergonomics.PEOPLE))
    assert keys.command <= ergonomics.TARGET, keys.log
