"""The ``simkit`` command line.

``simkit run FILE...`` exits 0 when every expectation holds, 1 when any does
not, 2 when a file is not a valid scenario (one line naming the file, the
YAML line and what is wrong). ``simkit validate FILE...`` checks files
without running them. ``simkit schema`` prints the JSON Schema of the format.
``simkit sweep FILE --param NAME=V1,V2 --seeds N --out FILE`` runs a grid of
plans (exit 0, or 2 for an invalid file or option).
``simkit export terraform FILE -o DIR`` writes the final state as Terraform
JSON; ``simkit import aliyun DIR -o FILE`` writes a scenario that rebuilds the
state that the cloud's List/Describe responses in DIR describe.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from .values.allocator import STRATEGIES
from .values.errors import ScenarioError, UsageError

EXIT_OK, EXIT_UNMET, EXIT_INVALID = 0, 1, 2


def _progress(stream: TextIO, label: str) -> Any:
    """A progress callback drawing a tqdm bar on a terminal (None elsewhere)."""
    if not stream.isatty():
        return None
    from tqdm import tqdm

    state: dict[str, Any] = {}

    def report(done: int, total: int) -> None:
        if total < 2000:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=label, unit="step", file=stream,
                                      leave=False)
        bar.update(done - bar.n)
        if done == total:
            bar.close()

    return report


def _summary(run: Any, out: TextIO) -> None:
    import pandas as pd

    scenario = run.scenario
    steps = sum(1 for e in run.log if e.source == "step")
    generated = sum(1 for e in run.log if e.source == "demand")
    refused = sum(1 for e in run.log if e.source == "demand" and e.outcome == "error")
    status = "ok" if run.ok else f"{len(run.failures)} expectation(s) not met"
    out.write(f"{scenario.file}: {scenario.name}: {status}\n")
    out.write(f"  {steps} steps, {generated} generated requests ({refused} refused), "
              f"clock {run.simulation.now.isoformat(timespec='seconds')}\n")
    out.write(f"  {run_settings(run)}\n")
    for e in run.failures:
        happened = f"error {e.error_code}" if e.outcome == "error" else (
            "ok" + (f" {e.cidr}" if e.cidr else ""))
        if e.op == "check":
            happened = e.message
        elif e.message and e.outcome != "error":
            happened += f" ({e.message})"
        detail = f": {e.message}" if e.outcome == "error" and e.message else ""
        out.write(f"  {scenario.file}:{_line_of(run, e.step)}: step {e.step} "
                  f"({e.op}{' as ' + e.actor if e.actor else ''}): "
                  f"expected {e.expected}, got {happened}{detail}\n")
    util = run.utilisation()
    if len(util):
        out.write("  final utilisation per pool:\n")
        width = max(len(str(p)) for p in util["pool"])
        for row in util.itertuples(index=False):
            free = "full" if row.largest_free_mask is pd.NA else (
                f"largest free /{row.largest_free_mask}")
            out.write(f"    {row.pool:<{width}}  {row.utilisation:7.2%}  "
                      f"{row.allocated_ips:,}/{row.provisioned_ips:,} IPs  {free}\n")
    conflicts = run.conflicts()
    if len(conflicts):
        out.write(f"  conflicts: {len(conflicts)}\n")
        for row in conflicts.head(10).itertuples(index=False):
            out.write(f"    {row.kind}: {row.a} {row.a_cidr} / {row.b} {row.b_cidr}"
                      f" ({row.overlap})\n")


def _line_of(run: Any, step: int | None) -> int | None:
    """The YAML line of step number ``step`` of the run's scenario."""
    steps = run.scenario.steps
    return steps[step - 1].line if step is not None and 0 < step <= len(steps) else None


def run_settings(run: Any) -> str:
    """The seed and parameter values a run used, as one line of text."""
    values = ", ".join(f"{k}={v}" for k, v in run.scenario.parameters.items())
    return f"seed {run.simulation.seed}" + (f"; parameters {values}" if values else "")


def _json_result(run: Any) -> dict[str, Any]:
    """A run as JSON: its verdict, every step's outcome, the failures and the frames."""

    def outcome(e: Any) -> dict[str, Any]:
        return {"step": e.step, "line": _line_of(run, e.step), "op": e.op, "actor": e.actor,
                "outcome": e.outcome, "error_code": e.error_code, "cidr": e.cidr,
                "items": None if e.items is None else list(e.items), "expected": e.expected,
                "met": e.met, "message": e.message}

    return {
        "file": str(run.scenario.file),
        "name": run.scenario.name,
        "seed": run.simulation.seed,
        "parameters": dict(run.scenario.parameters),
        "ok": run.ok,
        "steps": [outcome(e) for e in run.log if e.source == "step"],
        "failures": [outcome(e) for e in run.failures],
        "utilisation": json.loads(run.utilisation().to_json(orient="records")),
        "conflicts": json.loads(run.conflicts().to_json(orient="records")),
    }


def write_report(run: Any, directory: Path) -> list[Path]:
    """Write the run's frames as CSV files into ``directory`` (checked before the run)."""
    from .analysis import reports
    from .analysis.outputs import output_directory, write_csv

    output_directory(directory)
    frames = {
        "events": run.events,
        "utilisation": run.utilisation(),
        "allocations": reports.allocations(run.simulation),
        "resource_cidrs": reports.resource_cidrs_frame(run.simulation),
        "conflicts": run.conflicts(),
    }
    written = []
    for name, frame in frames.items():
        written.append(write_csv(frame, directory / f"{name}.csv"))
    return written


def _load(file: str, args: argparse.Namespace) -> Any:
    """The scenario of ``file`` with the ``--param`` values and ``--seed`` of ``args``."""
    import dataclasses

    from .analysis.whatif import parse_parameters
    from .engine.simulation import check_seed
    from .scenario.loader import load

    scenario = load(file)
    values = parse_parameters(scenario, getattr(args, "param", None) or [])
    if values:
        scenario = scenario.with_parameters(values)
    if getattr(args, "seed", None) is not None:
        scenario = dataclasses.replace(scenario, seed=check_seed(args.seed))
    return scenario


def _directories(files: list[str], report: str | None) -> dict[str, Path]:
    """The report directory of each file (checked and created), before anything runs."""
    from .analysis.outputs import output_directory

    if report is None:
        return {}
    base = output_directory(report)
    if len(files) == 1:
        return {files[0]: base}
    return {f: output_directory(base / Path(f).stem) for f in files}


def _cmd_run(args: argparse.Namespace) -> int:
    from .analysis.runs import run

    out, err = sys.stdout, sys.stderr
    try:
        directories = _directories(args.files, args.report)
    except UsageError as e:
        err.write(f"simkit run: --report {e}\n")
        return EXIT_INVALID
    code = EXIT_OK
    results = []
    for file in args.files:
        try:
            scenario = _load(file, args)
            result = run(scenario, progress=_progress(err, Path(file).name))
        except (ScenarioError, UsageError) as e:
            err.write(f"{e}\n")
            code = EXIT_INVALID
            continue
        if not result.ok and code == EXIT_OK:
            code = EXIT_UNMET
        if args.json:
            results.append(_json_result(result))
        else:
            _summary(result, out)
        if args.report:
            directory = directories[file]
            try:
                written = write_report(result, directory)
            except (UsageError, OSError) as e:
                err.write(f"simkit run: --report {directory}: cannot write the report: {e}\n")
                return EXIT_INVALID
            if not args.json:
                out.write(f"  report: {len(written)} CSV files in {directory}\n")
    if args.json:
        json.dump(results, out, indent=2, default=str)
        out.write("\n")
    return code


def _cmd_validate(args: argparse.Namespace) -> int:
    from .engine.simulation import Simulation
    from .scenario.loader import load

    code = EXIT_OK
    for file in args.files:
        try:
            scenario = load(file)
            Simulation.from_scenario(scenario)   # the rules of the declarative sections
        except ScenarioError as e:
            sys.stderr.write(f"{e}\n")
            code = EXIT_INVALID
            continue
        sys.stdout.write(f"{file}: valid ({len(scenario.steps)} steps)\n")
    return code


def _cmd_report(args: argparse.Namespace) -> int:
    """``simkit report FILE --out DIR``: frames as CSV, figures as PNG, one HTML page."""
    import matplotlib

    matplotlib.use("Agg")
    from .analysis.htmlreport import write
    from .analysis.outputs import output_directory
    from .analysis.runs import run

    try:
        scenario = _load(args.file, args)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    try:
        directory = output_directory(args.out)
    except UsageError as e:
        sys.stderr.write(f"simkit report: --out {e}\n")
        return EXIT_INVALID
    try:
        result = run(scenario, progress=_progress(sys.stderr, Path(args.file).name))
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    try:
        written = write(result, directory)
    except (UsageError, OSError) as e:
        sys.stderr.write(f"simkit report: --out {directory}: cannot write the report: {e}\n")
        return EXIT_INVALID
    counts = {ext: sum(1 for w in written if w.suffix == ext) for ext in (".csv", ".png")}
    _summary(result, sys.stdout)
    sys.stdout.write(f"  report: {counts['.csv']} CSV files, {counts['.png']} PNG files, "
                     f"{directory / 'index.html'}\n")
    return EXIT_OK if result.ok else EXIT_UNMET


def _cmd_schema(args: argparse.Namespace) -> int:
    from .scenario.loader import json_schema

    json.dump(json_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return EXIT_OK


def _cmd_sweep(args: argparse.Namespace) -> int:
    """``simkit sweep FILE --param NAME=V1,V2 --seeds N --out FILE``: one row per run and pool."""
    import importlib.util
    import time

    from .analysis.outputs import output_file, to_seconds
    from .analysis.whatif import parse_grid, sweep
    from .scenario.loader import load

    err = sys.stderr
    try:
        out = output_file(args.out, (".csv", ".parquet"))
    except UsageError as e:
        err.write(f"simkit sweep: --out {e}\n")
        return EXIT_INVALID
    kind = out.suffix.lower()
    if kind == ".parquet" and not any(importlib.util.find_spec(m)
                                      for m in ("pyarrow", "fastparquet")):
        err.write(f"simkit sweep: --out {args.out}: writing Parquet needs pyarrow "
                  "(pip install pyarrow); or write a .csv file\n")
        return EXIT_INVALID
    if (args.seeds is not None and args.seeds < 1) or (args.workers is not None
                                                       and args.workers < 1):
        err.write("simkit sweep: --seeds and --workers take a number >= 1\n")
        return EXIT_INVALID
    try:
        scenario = load(args.file)
        grid = parse_grid(scenario, args.param)
    except (ScenarioError, UsageError) as e:
        err.write(f"{e}\n")
        return EXIT_INVALID
    executor: Any = None
    try:
        if args.scheduler:
            try:
                from distributed import Client
            except ImportError:
                err.write("simkit sweep: --scheduler needs dask.distributed "
                          "(pip install 'simkit[dask]')\n")
                return EXIT_INVALID
            try:
                executor = Client(args.scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                err.write(f"simkit sweep: cannot reach the Dask scheduler at "
                          f"{args.scheduler}: {e}\n")
                return EXIT_INVALID
        elif args.workers:
            from concurrent.futures import ProcessPoolExecutor

            executor = ProcessPoolExecutor(args.workers)
        start = time.perf_counter()
        frame = sweep(scenario, params=grid or None, seeds=args.seeds, executor=executor)
        seconds = time.perf_counter() - start
    except (ScenarioError, UsageError) as e:
        err.write(f"{e}\n")
        return EXIT_INVALID
    finally:
        if args.scheduler and executor is not None:
            executor.close()
        elif executor is not None:
            executor.shutdown()
    try:
        if kind == ".csv":
            to_seconds(frame).to_csv(out, index=False)
        else:
            frame.to_parquet(out, index=False)
    except OSError as e:
        err.write(f"simkit sweep: --out {out}: cannot write the file: {e}\n")
        return EXIT_INVALID
    runs = frame["run_id"].nunique()
    plans = runs // (args.seeds or 1)
    sys.stdout.write(f"{args.file}: {scenario.name}: {runs} runs ({plans} plan(s) x "
                     f"{args.seeds or 1} seed(s)) in {seconds:.1f} s, "
                     f"{int((~frame.groupby('run_id')['ok'].first()).sum())} with unmet "
                     f"expectations\n  {len(frame)} rows (one per run and pool) in {out}\n")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    """``simkit export terraform FILE -o DIR``: the final state as Terraform JSON."""
    from .interop import export_terraform
    from .values.errors import UsageError

    try:
        written = export_terraform(args.file, args.out, args.provider)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    sys.stdout.write(f"{args.file}: {len(written)} Terraform files for {args.provider} in "
                     f"{args.out} (what was not exported: the // comment of main.tf.json)\n")
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    """``simkit import aliyun DIR -o FILE``: List/Describe responses as a scenario."""
    from .analysis.runs import run
    from .interop import import_aliyun
    from .values.errors import UsageError

    try:
        imported = import_aliyun(args.directory, args.out)
        result = run(args.out)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    for note in imported.notes:
        sys.stderr.write(f"{args.out}: not reproduced exactly: {note}\n")
    for e in result.failures:
        sys.stderr.write(f"{args.out}: step {e.step} ({e.op}) does not rebuild the state read: "
                         f"{e.error_code or 'its check fails'}\n")
    sys.stdout.write(f"{args.directory}: wrote {args.out} ({len(imported.notes)} note(s)); "
                     f"running it {'rebuilds' if result.ok else 'does not rebuild'} the "
                     "pools' figures\n")
    return EXIT_OK if result.ok else EXIT_UNMET


def _cmd_serve(args: argparse.Namespace) -> int:
    """``simkit serve [FILE]``: the cloud's API on HOST:PORT until SIGTERM or Ctrl-C."""
    import signal

    from .scenario.loader import load
    from .server import BANNER, CloudApi, make_server

    try:
        start = load(args.file) if args.file else None
        if args.record:
            api, notes = CloudApi.recording(args.record, start, region=args.region,
                                            clock=args.clock)
            for note in notes:
                sys.stderr.write(f"simkit serve: {note}\n")
        else:
            api = CloudApi(start, region=args.region, clock=args.clock) if start else \
                CloudApi.empty(region=args.region, clock=args.clock)
    except ScenarioError as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    try:
        server = make_server(api, args.host, args.port)
    except OSError as e:
        sys.stderr.write(f"simkit serve: cannot listen on {args.host}:{args.port}: "
                         f"{e.strerror or e}\n")
        return EXIT_INVALID

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    host, port = server.server_address[:2]
    sys.stdout.write(BANNER.format(host=host, port=port) + "\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _table(frame: Any) -> str:
    """A frame as aligned text: fractions as percentages, days to one decimal, IPs grouped."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if column in _FRACTIONS:
            shown[column] = values.map(lambda v: "" if v != v else f"{v:.1%}")
        elif column.endswith("_days") or values.dtype == "float64":
            shown[column] = values.map(lambda v: "-" if v != v else f"{v:,.1f}")
        elif column.endswith("_ips"):
            shown[column] = values.map(lambda v: f"{v:,}")
    return shown.to_string(index=False)


def _write_frame(frame: Any, out: str | None, command: str) -> int:
    """Write ``frame`` to the ``--out`` CSV file (checked first by :func:`_checked_out`)."""
    if out is None:
        return EXIT_OK
    from .analysis.outputs import write_csv

    try:
        write_csv(frame, out)
    except OSError as e:
        sys.stderr.write(f"simkit {command}: --out {out}: cannot write the file: {e}\n")
        return EXIT_INVALID
    sys.stdout.write(f"  {len(frame)} rows in {out}\n")
    return EXIT_OK


def _checked_out(args: argparse.Namespace) -> None:
    if args.out is not None:
        from .analysis.outputs import output_file

        try:
            output_file(args.out, (".csv",))
        except UsageError as e:
            raise UsageError(f"simkit {args.command}: --out {e}") from None


def _check_counts(args: argparse.Namespace) -> None:
    for option in ("seeds", "workers"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            raise UsageError(f"simkit {args.command}: --{option} takes a number >= 1, "
                             f"not {value}")


def _executor(args: argparse.Namespace) -> Any:
    if getattr(args, "workers", None):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(args.workers)
    return None


def _on_executor(args: argparse.Namespace, study: Any) -> Any:
    """``study(executor)`` on the ``--workers`` executor (shut down after); None, with the
    message written, when the study refuses its input."""
    executor = _executor(args)
    try:
        return study(executor)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return None
    finally:
        if executor is not None:
            executor.shutdown()


def _cmd_forecast(args: argparse.Namespace) -> int:
    """``simkit forecast FILE --seeds N``: when each pool runs out, over N seeds."""
    from .analysis.whatif import forecast

    try:
        _check_counts(args)
        _checked_out(args)
        scenario = _load(args.file, args)
        percentiles = [float(q) for q in args.percentiles.split(",")]
    except ValueError as e:   # UsageError and ScenarioError are ValueErrors too
        sys.stderr.write(f"{e}\n" if isinstance(e, UsageError | ScenarioError) else
                         f"simkit forecast: --percentiles {args.percentiles}: write numbers "
                         "from 0 to 100 separated by commas\n")
        return EXIT_INVALID
    frame = _on_executor(args, lambda executor: forecast(
        scenario, seeds=args.seeds, percentiles=percentiles, executor=executor, progress=None))
    if frame is None:
        return EXIT_INVALID
    sys.stdout.write(f"{args.file}: {scenario.name}: exhaustion over {args.seeds} seed(s), "
                     f"days from the clock start to the first refusal for lack of space "
                     f"(- : later than the run)\n")
    sys.stdout.write(_table(frame) + "\n")
    return _write_frame(frame, args.out, "forecast")


def _cmd_compare(args: argparse.Namespace) -> int:
    """``simkit compare A [B]``: two plans side by side, per pool and per account."""
    import types

    from .analysis.runs import run
    from .analysis.whatif import compare

    second = args.other or args.file
    if second == args.file and not args.other_param and args.other_seed is None:
        sys.stderr.write("simkit compare: give a second FILE, or --vs-param / --vs-seed to "
                         "compare the file with other values\n")
        return EXIT_INVALID
    try:
        _checked_out(args)
        a = _load(args.file, args)
        options = {} if args.other else {o.partition("=")[0].strip(): o for o in args.param}
        options.update((o.partition("=")[0].strip(), o) for o in args.other_param)
        b = _load(second, types.SimpleNamespace(
            param=list(options.values()),
            seed=args.seed if args.other_seed is None else args.other_seed))
        labels = tuple(args.labels.split(",")) if args.labels else ("a", "b")
        frame = compare(run(a), run(b), labels=labels)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    left, right = frame.columns[3], frame.columns[4]
    sys.stdout.write(f"{left}: {args.file} ({a.name}), {_settings(a)}\n"
                     f"{right}: {second} ({b.name}), {_settings(b)}\n")
    shown = (frame if args.all else frame[frame["difference"].fillna(1) != 0]).copy()
    for column in (left, right, "difference"):
        shown[column] = [
            "-" if v != v else f"{v:+.1%}" if f in _FRACTIONS and column == "difference"
            else f"{v:.1%}" if f in _FRACTIONS else f"{v:+,.0f}" if column == "difference"
            else f"{v:,.0f}" for f, v in zip(shown["figure"], shown[column], strict=True)]
    if len(shown):
        sys.stdout.write(shown.to_string(index=False) + "\n")
    else:
        sys.stdout.write("no figure differs\n")
    return _write_frame(frame, args.out, "compare")


_FRACTIONS = ("utilisation", "fragmentation")


def _settings(scenario: Any) -> str:
    values = ", ".join(f"{k}={v}" for k, v in scenario.parameters.items())
    return f"seed {scenario.seed}" + (f"; parameters {values}" if values else "")


def _cmd_strategies(args: argparse.Namespace) -> int:
    """``simkit compare-strategies FILE``: the same demand under each allocation strategy."""
    from .analysis.whatif import compare_strategies

    try:
        _check_counts(args)
        _checked_out(args)
        scenario = _load(args.file, args)
        strategies = args.strategies.split(",") if args.strategies else list(STRATEGIES)
    except (ScenarioError, UsageError) as e:
        sys.stderr.write(f"{e}\n")
        return EXIT_INVALID
    frame = _on_executor(args, lambda executor: compare_strategies(
        scenario, strategies=strategies, seeds=args.seeds, executor=executor, progress=None))
    if frame is None:
        return EXIT_INVALID
    seeds = args.seeds if args.seeds is not None else 1
    sys.stdout.write(f"{args.file}: {scenario.name}: means over {seeds} seed(s) per "
                     f"strategy and pool\n")
    sys.stdout.write(_table(frame) + "\n")
    return _write_frame(frame, args.out, "compare-strategies")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="simkit", description="Plan and policy-test cloud IPAM pools shared across "
                                   "accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run scenario files and judge their expectations")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print machine-readable results")
    p.add_argument("--report", metavar="DIR", help="write the frames as CSV files into DIR")
    _run_options(p)
    p.set_defaults(func=_cmd_run)
    p = sub.add_parser("validate", help="check scenario files without running them")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=_cmd_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of the scenario format")
    p.set_defaults(func=_cmd_schema)
    p = sub.add_parser("sweep", help="run a scenario for every combination of parameter "
                                     "values and seeds; write one row per run and pool")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--param", action="append", default=[], metavar="NAME=V1,V2",
                   help="values of a parameter the file declares (repeat for a grid)")
    p.add_argument("--seeds", type=int, metavar="N", help="run seeds 0 to N-1 "
                   "(default: the file's seed)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="K", help="run in K local processes")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster of this scheduler (tcp://host:8786)")
    p.add_argument("--out", metavar="FILE", required=True, help="a .csv or .parquet file")
    p.set_defaults(func=_cmd_sweep)
    p = sub.add_parser("report", help="run a scenario and write its report: CSV frames, PNG "
                                      "figures and a self-contained index.html (exit codes "
                                      "as for run)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write into")
    _run_options(p)
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("export", help="write the final state of a scenario for other tools")
    kinds = p.add_subparsers(dest="format", required=True)
    p = kinds.add_parser("terraform", help="Terraform JSON (*.tf.json) of the final state")
    p.add_argument("file", metavar="FILE")
    p.add_argument("-o", "--out", metavar="DIR", required=True, help="directory to write into")
    p.add_argument("--provider", choices=("alicloud", "aws"), default="alicloud")
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("import", help="write a scenario that rebuilds a real state")
    kinds = p.add_subparsers(dest="format", required=True)
    p = kinds.add_parser("aliyun", help="from the JSON of the cloud's List/Describe calls")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("-o", "--out", metavar="FILE", required=True, help="scenario file to write")
    p.set_defaults(func=_cmd_import)
    p = sub.add_parser(
        "serve", help="serve the cloud's VPC, VpcIpam and ResourceSharing APIs on localhost "
                      "for the official SDKs",
        description="Start from the state FILE declares (its steps run first) and answer the "
                    "cloud's API until SIGTERM or Ctrl-C. Without FILE: an empty resource "
                    "directory whose one account is 'admin'; declare more accounts (org: "
                    "accounts, folders, external_accounts) in a scenario file. The "
                    "AccessKeyId is the account's name unless the file declares "
                    "access_keys: [{id, secret, account}], which turns on signature checks.")
    p.add_argument("file", nargs="?", metavar="FILE", help="a scenario file (optional)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default "
                   "127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a "
                   "free one)")
    p.add_argument("--region", default="cn-hangzhou", help="region of requests that carry "
                   "none (default cn-hangzhou)")
    p.add_argument("--record", metavar="SESSION.yaml",
                   help="append every call that changes state or is refused to this scenario "
                        "file, on disk before it is answered; an existing file is replayed "
                        "and carried on (simkit run SESSION.yaml replays it too)")
    p.add_argument("--clock", choices=("wall", "frozen"), default="wall",
                   help="wall (default): the simulated clock follows the wall clock from the "
                        "start; frozen: it moves only by POST /_simkit/advance?by=8d")
    p.set_defaults(func=_cmd_serve)
    p = sub.add_parser("forecast", help="Monte Carlo: run a scenario over many seeds and give "
                                        "percentiles of the days until each pool runs out")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--seeds", type=int, default=100, metavar="N",
                   help="run seeds 0 to N-1 (default 100)")
    p.add_argument("--percentiles", default="5,50,95", metavar="Q1,Q2",
                   help="percentiles to give (default 5,50,95)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter the file declares (repeat for several)")
    p.add_argument("--workers", type=int, metavar="K", help="run in K local processes")
    p.add_argument("--out", metavar="FILE", help="also write the table to a .csv file")
    p.set_defaults(func=_cmd_forecast)
    p = sub.add_parser("compare", help="run two plans and put their figures side by side, "
                                       "per pool and per account")
    p.add_argument("file", metavar="FILE")
    p.add_argument("other", nargs="?", metavar="FILE_B",
                   help="the second plan (default: FILE again, with --vs-param/--vs-seed)")
    _run_options(p)
    p.add_argument("--vs-param", dest="other_param", action="append", default=[],
                   metavar="NAME=VALUE", help="a parameter value of the second plan only")
    p.add_argument("--vs-seed", dest="other_seed", type=int, metavar="N",
                   help="the seed of the second plan only")
    p.add_argument("--labels", metavar="A,B", help="names of the two plans (default a,b)")
    p.add_argument("--all", action="store_true", help="also print the figures that are equal")
    p.add_argument("--out", metavar="FILE", help="also write every figure to a .csv file")
    p.set_defaults(func=_cmd_compare)
    p = sub.add_parser("compare-strategies", help="run the same demand under each allocation "
                                                  "strategy: refusals and fragmentation")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--strategies", metavar="S1,S2",
                   help=f"strategies to compare (default {','.join(STRATEGIES)})")
    p.add_argument("--seeds", type=int, metavar="N", help="run seeds 0 to N-1 per strategy "
                   "(default: the file's seed)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter the file declares (repeat for several)")
    p.add_argument("--workers", type=int, metavar="K", help="run in K local processes")
    p.add_argument("--out", metavar="FILE", help="also write the table to a .csv file")
    p.set_defaults(func=_cmd_strategies)
    return parser



def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter the file declares, for this run (repeat for several)")
    p.add_argument("--seed", type=int, metavar="N", help="use this seed instead of the file's")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
