"""``warroom diag list|run`` and ``warroom drill``: the diagnostics without the console.

``diag run`` prints one snapshot (text, or ``--json``), the same one a pane would show and the
evidence key would record, so a script or a ChatOps bot can capture state too.
"""

from __future__ import annotations

import json
import sys

from ..ui import need_terminal, run_console
from .base import CliError, command, Context


def _diag_opts(p):
    sub = p.add_subparsers(dest="diag_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="installed diagnostics (built in, and from the warroom.diagnostics entry points)")
    run = sub.add_parser("run", help="take one snapshot and print it")
    run.add_argument("name")
    run.add_argument("--target", default="", help="a DSN, a Redis URL, URLs, or [context/]namespace[?selector]")
    run.add_argument("--json", action="store_true")
    run.add_argument("--timeout", type=float, default=5.0, help="seconds before giving up (default 5)")
    run.add_argument("--kubeconfig", help="kubeconfig file for pods (default $KUBECONFIG or ~/.kube/config)")
    run.add_argument("--sample", type=float, default=None, metavar="SECONDS",
                     help="take two samples this far apart (rates need two; default 1 for redis)")
    run.add_argument("--drill", metavar="SCENARIO", help="simulate: the scenario's source instead of a real one")
    run.add_argument("--minute", type=float, default=0.0, help="with --drill: minutes into the scenario")
    run.add_argument("--detail", metavar="KEY", help="also print a row's detail (pods: namespace/name)")


@command("diag", "diagnostics: list them, or take one snapshot (diag run NAME --target ...)", _diag_opts,
         read_only=True)
def _diag(ctx: Context, args) -> int:
    from ..diagnostics import available, load
    from ..diagnostics.base import render_text

    if args.diag_command == "list":
        for name, ep in available().items():
            print(f"{name:<10} {ep.value}")
        return 0
    if args.drill:
        from ..followup.drills import Drill, load_scenario

        try:
            scenario = load_scenario(args.drill)
        except (LookupError, ValueError) as exc:
            raise CliError(str(exc)) from None
        start = ctx.clock() - int(args.minute * 60_000)
        diag = Drill(scenario, "", start, ctx.clock).diagnostic(args.name)
    else:
        cls = load(args.name)
        options = {"timeout": args.timeout}
        if args.kubeconfig and args.name == "pods":
            options["kubeconfig"] = args.kubeconfig
        diag = cls(args.target, clock=ctx.clock, **options)
    sample = args.sample if args.sample is not None else (1.0 if args.name == "redis" else 0.0)
    try:
        snap = diag.fetch()
        if sample > 0 and snap.ok:
            import time

            time.sleep(sample)
            snap = diag.fetch()
        detail = diag.detail(args.detail) if args.detail and snap.ok else []
    finally:
        diag.close()
    if args.json:
        out = snap.to_dict()
        if detail:
            out["detail"] = detail
        print(json.dumps(out, indent=2, ensure_ascii=False, default=str))
    else:
        print(render_text(snap, limit=10_000))
        for line in detail:
            print(line)
    failed = snap.error or any(not c.get("ok", True) for c in snap.extra.get("checks", []))
    return 1 if failed else 0  # like curl -f: a failing health check fails the command


def _drill_opts(p):
    p.add_argument("scenario", nargs="?", help="scenario name (runbooks/drills/NAME.toml); none lists them")
    p.add_argument("--at", metavar="TIME", help="when the drill started")
    p.add_argument("--no-console", action="store_true", help="declare the drill incident and print its id")


@command("drill", "rehearse: declare a drill incident fed by a simulated scenario", _drill_opts)
def _drill(ctx: Context, args) -> int:
    from ..followup.drills import load_scenarios, start_drill

    scenarios, errors = load_scenarios()
    for err in errors:
        print(f"warroom: {err}", file=sys.stderr)
    if not args.scenario:
        for name, sc in sorted(scenarios.items()):
            print(f"{name:<24} {sc.severity:<5} {sc.title}  (runbook: {sc.runbook or '-'})")
        return 0
    if args.scenario not in scenarios:
        raise CliError(f"no drill scenario {args.scenario!r} (available: {', '.join(sorted(scenarios))})")
    if not args.no_console:
        need_terminal()  # refused before the drill incident is declared
    drill = start_drill(ctx.room, scenarios[args.scenario], at=ctx.time(args.at))

    print(drill.incident_id)
    if args.no_console:
        return 0
    from .sync import engine_for

    return run_console(ctx.room, sync=engine_for(ctx), drill=drill)


@command("runbooks", "list runbooks and report malformed ones (file, field, reason)", read_only=True)
def _runbooks(ctx: Context, args) -> int:
    from ..diagnostics.runbooks import load_runbooks

    books, errors = load_runbooks()
    for b in sorted(books, key=lambda b: b.key):
        panes = ", ".join(p.diagnostic for p in b.panes)
        print(f"{b.key:<8} {b.id:<26} {b.title}  [{panes}]")
    for err in errors:
        print(f"error: {err}")
    return 2 if errors else 0
