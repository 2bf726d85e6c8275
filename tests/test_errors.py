"""One error base: every user-facing error is a WarroomError, caught once in the CLI and once
in the console; policy lookups say what they mean instead of riding inside a KeyError."""

import importlib
import pkgutil

import pytest

import warroom
from warroom.errors import WarroomError
from warroom.model.policy import load_policy, PolicyLookupError


def _core_modules():
    for info in pkgutil.walk_packages(warroom.__path__, "warroom."):
        if info.name == "warroom.__main__" or info.name.startswith("warroom.ui"):
            continue
        yield importlib.import_module(info.name)


# control flow inside one module, never shown to anyone
INTERNAL = {"warroom.diagnostics.pods.Gone"}  # a stale watch: the pane lists again


def test_every_error_class_derives_from_the_one_base():
    found = {}
    for module in _core_modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[f"{module.__name__}.{value.__name__}"] = value
    assert len(found) >= 18, sorted(found)  # the walk did see the error classes
    assert [name for name, cls in found.items() if not issubclass(cls, WarroomError) and name not in INTERNAL] == []


def test_errors_keep_the_bases_code_catches_them_by():
    from warroom.diagnostics import DiagnosticNotFound
    from warroom.model.times import TimeError
    from warroom.room import RoomError
    from warroom.store.log import LogError, NoLogError
    from warroom.sync.url import StoreUrlError

    assert issubclass(TimeError, ValueError) and issubclass(RoomError, ValueError)
    assert issubclass(StoreUrlError, ValueError) and issubclass(DiagnosticNotFound, LookupError)
    assert issubclass(NoLogError, LogError) and issubclass(LogError, RuntimeError)


@pytest.mark.parametrize("lookup,ident,message", [
    ("severity", "SEV9", "unknown severity 'SEV9' (policy cygni: SEV1, SEV2, SEV3, SEV4)"),
    ("status", "Done", "unknown status 'Done' (policy cygni: Investigating, Identified, Monitoring, Resolved)"),
    ("role", "Janitor", "unknown role 'Janitor' (policy cygni: IC, TL, CL, Scribe)"),
])
def test_policy_lookups_raise_a_warroom_error_not_a_key_error(lookup, ident, message):
    policy = load_policy("cygni")
    with pytest.raises(PolicyLookupError) as err:
        getattr(policy, lookup)(ident)
    assert not isinstance(err.value, KeyError) and isinstance(err.value, (LookupError, WarroomError))
    assert str(err.value) == message  # a KeyError's str() would have quoted it
    assert getattr(policy, f"find_{lookup}")(ident) is None


def test_find_returns_the_same_entry_as_the_lookup():
    policy = load_policy("cygni")
    assert policy.find_severity(" sev1 ") == policy.severity("SEV1")
    assert policy.find_status("identified") == policy.status("Identified")
    assert policy.find_role("communications lead") == policy.role("CL")


def test_the_cli_turns_any_warroom_error_into_one_line_and_its_exit_code(monkeypatch, capsys, tmp_path, clock):
    from warroom import cli
    from warroom.cli.base import Command, COMMANDS

    class Odd(WarroomError):
        exit_code = 3

    def run(ctx, args):
        raise Odd("something the user can fix")

    monkeypatch.setenv("WARROOM_DB", str(tmp_path / "x.db"))
    monkeypatch.setitem(COMMANDS, "odd", Command("raise", lambda p: None, run))
    assert cli.main(["odd"], clock=clock) == 3
    out, err = capsys.readouterr()
    assert out == "" and err == "warroom: something the user can fix\n"


async def test_the_console_turns_any_warroom_error_into_a_notification(room, clock):
    from warroom.ui import make_app

    app = make_app(room, clock=clock, keymap={})
    async with app.run_test(size=(120, 40)) as pilot:
        def fail():
            raise PolicyLookupError("unknown severity 'SEV9'")

        assert app._do(fail) is None
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["unknown severity 'SEV9'"]
