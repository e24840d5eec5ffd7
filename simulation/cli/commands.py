"""The commands: `run`, `sweep`, `validate`, `validate-testbed` and `list`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ..budget import BudgetError, check_budget
from ..channel import MODE_DESCRIPTIONS
from ..distributions import DISTRIBUTIONS
from ..errors import ScenarioError
from ..scenario import load_scenario, scenario_keys
from ..sharding import check_shardable
from ..shards import run
from ..strategies import STRATEGIES
from .outputs import (
    _check_output_file,
    _check_plot_levels,
    _plot_path,
    _save_plot,
    _save_tables,
    _table_folders,
)
from .tables import _comparison_table, _group_table

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def _cmd_run(args) -> int:
    scenarios = [load_scenario(path) for path in args.files]  # validate all before running
    plot = _plot_path(args.plot) if args.plot else None  # and every output path
    if plot is not None:
        _check_plot_levels(scenarios, plot)
    folders = _table_folders(scenarios, args.save) if args.save else None
    if args.shards > 1:  # refuse before anything runs
        for scenario in scenarios:
            check_shardable(scenario, args.shards)
    if not args.force:
        for scenario in scenarios:
            check_budget(scenario)
    show_progress = not args.quiet and sys.stderr.isatty()
    results = []
    for scenario in scenarios:
        if args.shards > 1:
            results.append(
                run(
                    scenario,
                    seed=args.seed,
                    force=True,
                    progress=show_progress,
                    shards=args.shards,
                    executor=args.executor,
                    workers=args.workers,
                    scheduler=args.scheduler,
                )
            )
            continue
        bar = _progress_bar(scenario) if show_progress else None
        try:
            hook = None if bar is None else (lambda now, bar=bar: bar.update(now - bar.n))
            results.append(run(scenario, seed=args.seed, force=True, progress=hook))
        finally:
            if bar is not None:
                bar.close()
    if args.json:
        payload = [
            {
                "name": r.scenario.name,
                "source": r.scenario.source,
                "strategy": r.scenario.strategy.kind,
                "seed": r.seed,
                "wall_s": r.wall_s,
                "summary": {k: _json_number(v) for k, v in r.summary().items()},
            }
            for r in results
        ]
        if args.by:
            for entry, result in zip(payload, results, strict=True):
                groups = result.summary(by="group")
                entry["by_group"] = {
                    str(name): {k: _json_number(v) for k, v in row.items()}
                    for name, row in groups.iterrows()
                }
        print(json.dumps(payload, indent=2))
    elif args.by:
        print("\n\n".join(_group_table(result) for result in results))
    else:
        print(_comparison_table(results))
    if folders is not None:
        _save_tables(results, folders, Path(args.save))
    if plot is not None:
        _save_plot(results, plot)
    return 0


def _progress_bar(scenario):
    """A bar over simulated time, shown only once a run has lasted 2 s."""
    from tqdm import tqdm

    return tqdm(
        total=scenario.duration_s,
        desc=scenario.name,
        unit="s",
        unit_scale=False,
        delay=2.0,
        leave=False,
        file=sys.stderr,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.4g}/{total:.4g} s simulated "
        "[{elapsed}<{remaining}]",
    )


def _json_number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _cmd_sweep(args) -> int:
    from ..sweep import aggregate, format_aggregate, sweep
    from ..sweep.file import load_sweep

    spec = load_sweep(args.file)
    out = Path(args.out) if args.out else spec.out
    if out is not None and not args.resume and out.exists() and any(out.glob("*.parquet")):
        raise ScenarioError(
            f"{out}: already holds runs of a sweep; pass --resume to finish it, or remove it"
        )
    if args.save:
        _check_output_file(Path(args.save), "--save")
    # Ctrl-C raises SweepInterrupted, whose message main() prints (what is stored, how
    # to resume)
    runs = sweep(
        spec.base,
        spec.grid,
        args.replications or spec.replications,
        executor=args.executor or spec.executor,
        workers=args.workers or spec.workers,
        scheduler=args.scheduler or spec.scheduler,
        out=out,
        target=spec.target,
        progress=not args.no_progress,
        force=args.force,
    )
    table = aggregate(runs, spec.metrics)
    sys.stdout.flush()
    failed = int((runs["error"] != "").sum())
    reused = runs.attrs.get("reused", 0)
    print(
        f"{spec.name}: {len(runs)} runs, {failed} failed"
        + (f" ({reused} reused from {out})" if reused else "")
    )
    if runs.attrs.get("stored_unused"):
        print(
            f"{out}: {runs.attrs['stored_unused']} stored runs belong to no cell of this "
            "grid; they are kept on disk and left out of this table",
            file=sys.stderr,
        )
    print(format_aggregate(table, spec.metrics))
    if args.save:
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.save, index=False)
        print(f"aggregated table written to {args.save}", file=sys.stderr)
    return 0


def _cmd_validate(args) -> int:
    """Check every file, report each; status 2 if any is bad."""
    bad = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            bad += 1
            sys.stdout.flush()
            print(f"rtsim: error: {error}", file=sys.stderr)
            continue
        print(
            f"ok: {path} ({scenario.name}: {scenario.strategy.kind} on "
            f"{scenario.network.mode}, {scenario.clients:,} client"
            f"{'' if scenario.clients == 1 else 's'}, {scenario.duration_s:g} s)"
        )
        try:  # valid, but is it too large for `rtsim run` here without --force?
            check_budget(scenario)
        except BudgetError as error:
            print(f"  note: {error}")
    if bad and len(args.files) > 1:
        sys.stdout.flush()
        print(f"rtsim: {bad} of {len(args.files)} files are invalid", file=sys.stderr)
    return EXIT_BAD_INPUT if bad else 0


def _cmd_validate_testbed(args) -> int:
    try:
        from ..testbed import CLIENT_MESSAGE_STRATEGIES, TESTBED_STRATEGIES, Cell, compare
        from ..testbed.compare import HTTP_PROTOCOLS, MULTIPLEXED_STRATEGIES
        from ..testbed.report import markdown_table
    except ImportError as error:
        raise ScenarioError(
            f"the testbed needs the 'testbed' extra ({error.name} is missing): "
            "pip install 'rtsim[testbed]', or run make validate"
        ) from None
    protocols = args.http or ("1.1",)
    unknown = [name for name in protocols if name not in HTTP_PROTOCOLS]
    if unknown:
        raise ScenarioError(
            f"--http: unknown {', '.join(unknown)} (allowed: {', '.join(HTTP_PROTOCOLS)})"
        )
    multiplexed = [name for name in protocols if name != "1.1"]
    allowed = MULTIPLEXED_STRATEGIES if multiplexed else TESTBED_STRATEGIES
    strategies = args.strategies or allowed
    unknown = [name for name in strategies if name not in allowed]
    if unknown:
        over = f" over {', '.join(multiplexed)}" if multiplexed else ""
        raise ScenarioError(
            f"--strategies: unknown{over}: {', '.join(unknown)} (allowed: {', '.join(allowed)})"
        )
    latencies, rates, duration = args.latencies_ms, args.rates, args.duration_s
    if args.quick:
        latencies, rates, duration = (50.0,), (2.0,), 5.0
    if not (duration > 0 and math.isfinite(duration)):
        raise ScenarioError(f"--duration-s: must be a positive number, got {duration}")
    cells = [
        Cell(
            name,
            latency / 1000,
            rate,
            args.clients,
            duration,
            args.seed,
            args.client_rate if name in CLIENT_MESSAGE_STRATEGIES else 0.0,
            protocol,
        )
        for protocol in protocols
        for name in strategies
        for latency in latencies
        for rate in rates
    ]
    comparison = compare(cells, progress=not args.no_progress)
    print(markdown_table(comparison))
    if args.csv:
        path = Path(args.csv)
        path.parent.mkdir(parents=True, exist_ok=True)
        comparison.to_csv(path, index=False)
    return 0


def _countries_table(server: str) -> str:
    """Every country measured with ``server``: pings and one-way latency (country-rtt)."""
    from ..country_rtt import MIN_PINGS, CountryError, CountryRtt, top_countries

    try:
        ranked = top_countries(server, 10_000)
    except CountryError as error:
        raise ScenarioError(f"--countries: {error}") from None
    lines = [
        f"client countries measured with server {server} (RIPE Atlas, 2025; pairs with "
        f">= {MIN_PINGS} pings), by share of pings:",
        f"  {'client':8} {'share':>7} {'one-way mean':>13} {'sd':>9} {'floor':>9}",
    ]
    for country, share in ranked:
        latency = CountryRtt(server, country)
        lines.append(
            f"  {country:8} {share:7.2%} {latency.mean() * 1e3:10.1f} ms "
            f"{latency.std() * 1e3:6.1f} ms {latency.floor_s * 1e3:6.1f} ms"
        )
    return "\n".join(lines)


def _cmd_list(args) -> int:
    if args.countries:
        print(_countries_table(args.countries))
        return 0
    if args.markdown and not args.keys:
        raise ScenarioError("--markdown goes with --keys")
    if args.keys and args.markdown:
        from ..reference import scenario_reference_markdown

        print(scenario_reference_markdown(), end="")
        return 0
    print("strategies (strategy.kind):")
    for name, cls in STRATEGIES.items():
        one_way = "" if cls.needs_uplink else "  [runs on simplex]"
        print(f"  {name:16} {cls.summary}{one_way}")
    print("\ndistributions (dist = ...):")
    for name, distribution in DISTRIBUTIONS.items():
        print(f"  {name:16} {distribution.summary}")
    print("\nchannel modes (network.mode):")
    for name, text in MODE_DESCRIPTIONS.items():
        print(f"  {name:16} {text}")
    if args.keys:
        for table, specs in scenario_keys().items():
            print(f"\n[{table}]" if table else "\ntop-level keys:")
            for spec in specs:
                print(f"  {spec.name:24} {spec.type_text():22} default {spec.default_text()}")
    return 0
