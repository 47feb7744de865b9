"""How long the dashboard's overview takes to load in a real browser with 1M stored events, and each of
its API calls: the query benchmark's loader fills a fresh home under .lynex/, `--roles query` serves it
with the built dashboard, and bench/dashboard_overview.mjs drives Debian's Chromium (24h, 7d, 30d; one
cold load and five warm ones each). Prints a table, writes bench/results/dashboard_overview.json.

    .venv/bin/python -m bench.dashboard_bench [--rows 1000000] [--warm 5] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from bench.query_bench import PROJECT
from bench.run import machine
from bench.services import LynexServer, cores, new_api_key
from bench.stats import CpuMeter, load_average, percentile
from tests.support.services import REPO, free_port

DASHBOARD = REPO / "dashboard"
DRIVER = REPO / "bench" / "dashboard_overview.mjs"
RANGES = ("24h", "7d", "30d")
EMAIL = "bench@lynex.local"


def _say(message: str) -> None:
    print(f"[dashboard-bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _run_with_progress(argv: list[str], what: str, timeout: float, cwd: Path = REPO, **kwargs: Any) -> str:
    """Run a child to completion, saying every 15 s that it still runs; its stdout."""
    started = time.monotonic()
    proc: subprocess.Popen[bytes] = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, **kwargs)
    while True:
        try:
            stdout: bytes = proc.communicate(timeout=15)[0]
            break
        except subprocess.TimeoutExpired:
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                proc.kill()
                raise RuntimeError(f"{what}: no result after {timeout:.0f}s") from None
            _say(f"  {what}: {elapsed:.0f}s…")
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {proc.returncode})")
    _say(f"  {what}: done in {time.monotonic() - started:.0f}s")
    return stdout.decode()


def _machine_busy_s() -> float:
    """CPU seconds every core of the machine has spent busy so far (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:9]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields) - idle) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _build_dashboard() -> None:
    chromium = os.environ.get("LYNEX_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        raise SystemExit(f"bench.dashboard_bench: no browser at {chromium} (apt-get install chromium)")
    if not (DASHBOARD / "node_modules" / "playwright-core").is_dir():
        _say("dashboard/node_modules is missing: npm ci")
        _run_with_progress(["npm", "ci", "--no-audit", "--no-fund"], "npm ci", 900, cwd=DASHBOARD)
    if (DASHBOARD / "dist" / "index.html").is_file():
        return
    _say("dashboard/dist is missing: npm run build")
    _run_with_progress(["npm", "run", "build"], "npm run build", 900, cwd=DASHBOARD)


def _load(home: Path, rows: int) -> dict[str, Any]:
    """A fresh home holding `rows` events of one project over 30 days (bench.query_load)."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    _say(f"loading {rows:,} events into {home.relative_to(REPO)} (ClickHouse generates them)")
    argv = [
        sys.executable,
        "-m",
        "bench.query_load",
        "--home",
        str(home),
        "--rows",
        str(rows),
        "--project",
        PROJECT,
    ]
    out = _run_with_progress(argv, "load", 3600)
    loaded: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    _say(f"  {loaded}")
    return loaded


def _call_name(url: str) -> str:
    """`stats/timeseries requests by model`, `stats/overview`, `events`... for one API URL."""
    parsed = urlparse(url)
    name = parsed.path.removeprefix("/api/v1/")
    query = parse_qs(parsed.query)
    if "metric" in query:
        name += " " + query["metric"][0]
    if "groupBy" in query:
        name += " by " + query["groupBy"][0]
    return name


def _figures(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"p50_ms": round(percentile(ordered, 50), 1), "max_ms": round(ordered[-1], 1), "n": len(ordered)}


def _waterfall(cold: dict[str, Any], warm: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the time goes, ms from navigation start: the last script in (the lazy page chunks included),
    the first API call sent (auth/me), the first stats call sent (after auth/me, then the events probe
    that decides between the overview and the first-run page), the last API response in, rendered."""

    def marks(load: dict[str, Any]) -> dict[str, float]:
        api = load["api"]
        stats = [c["start_ms"] for c in api if "/stats/" in c["url"]]
        scripts = [a["end_ms"] for a in load.get("assets", []) if a["path"].endswith(".js")]
        return {
            "last_script_loaded_ms": max(scripts, default=float("nan")),
            "first_api_call_ms": min(c["start_ms"] for c in api),
            "first_stats_call_ms": min(stats),
            "last_api_response_ms": max(c["start_ms"] + c["duration_ms"] for c in api),
            "rendered_ms": load["rendered_ms"],
        }

    warm_marks = [marks(x) for x in warm]
    return {
        "cold": {k: round(v, 1) for k, v in marks(cold).items()},
        "warm_p50": {k: round(percentile(sorted(m[k] for m in warm_marks), 50), 1) for k in warm_marks[0]},
    }


def _summarize(loads: list[dict[str, Any]]) -> dict[str, Any]:
    """Per range: time to rendered (cold, warm p50, max of all) and per API call the same, plus the
    warm p50 of its time in the connection queue and to the first byte."""
    cold = next(x for x in loads if x["kind"] == "cold")
    warm = [x for x in loads if x["kind"] == "warm"]
    calls: dict[str, dict[str, list[float]]] = {}
    for load in loads:
        for call in load["api"]:
            samples = calls.setdefault(
                _call_name(call["url"]), {"cold": [], "warm": [], "ttfb": [], "queued": []}
            )
            samples[load["kind"]].append(call["duration_ms"])
            if load["kind"] == "warm":
                samples["ttfb"].append(call["ttfb_ms"])
                samples["queued"].append(call["queued_ms"])
    return {
        "waterfall": _waterfall(cold, warm),
        "rendered": {
            "cold_ms": round(cold["rendered_ms"], 1),
            "warm": _figures([x["rendered_ms"] for x in warm]),
            "all": _figures([x["rendered_ms"] for x in loads]),
        },
        "api": {
            name: {
                "cold_ms": round(max(s["cold"]), 1) if s["cold"] else None,
                "warm": _figures(s["warm"]) if s["warm"] else None,
                "all": _figures(s["cold"] + s["warm"]),
                "warm_ttfb_p50_ms": round(percentile(sorted(s["ttfb"]), 50), 1) if s["ttfb"] else None,
                "warm_queued_p50_ms": round(percentile(sorted(s["queued"]), 50), 1) if s["queued"] else None,
            }
            for name, s in sorted(calls.items())
        },
    }


def _compact(load: dict[str, Any]) -> dict[str, Any]:
    """One load as stored: each API call by name (not its URL), times to 0.1 ms, no asset list."""
    calls = [
        {"call": _call_name(c["url"])}
        | {k: round(v, 1) if isinstance(v, float) else v for k, v in c.items() if k != "url"}
        for c in load["api"]
    ]
    kept = {
        k: round(v, 1) if isinstance(v, float) else v for k, v in load.items() if k not in ("api", "assets")
    }
    return kept | {"api": calls}


def _drive(server: LynexServer, password: str, shots: Path, warm: int, cpus: set[int]) -> dict[str, Any]:
    argv = ["node", str(DRIVER), server.url, EMAIL, PROJECT, str(shots), ",".join(RANGES), str(warm)]
    env = os.environ | {"LYNEX_BENCH_PASSWORD": password}
    _say(f"Chromium: {len(RANGES)} ranges x (1 cold + {warm} warm) loads of the overview")
    out = _run_with_progress(
        argv,
        "browser",
        1800,
        env=env,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _print_table(ranges: dict[str, Any]) -> None:
    print(
        f"\n{'range':<6} {'what':<38} {'cold ms':>9} {'warm p50':>9} {'max':>9} {'ttfb p50':>9} {'queue p50':>9}"
    )
    for name, r in ranges.items():
        s = r["summary"]
        rendered = s["rendered"]
        print(
            f"{name:<6} {'overview rendered (nav start → data)':<38} {rendered['cold_ms']:>9.0f} "
            f"{rendered['warm']['p50_ms']:>9.0f} {rendered['all']['max_ms']:>9.0f}"
        )
        for mark, value in s["waterfall"]["warm_p50"].items():
            cold_value = s["waterfall"]["cold"][mark]
            print(
                f"{'':<6} {'  · ' + mark.removesuffix('_ms').replace('_', ' '):<38} {cold_value:>9.0f} {value:>9.0f}"
            )
        for call, c in s["api"].items():
            cold = f"{c['cold_ms']:.0f}" if c["cold_ms"] is not None else "-"
            p50 = f"{c['warm']['p50_ms']:.0f}" if c["warm"] else "-"
            print(
                f"{'':<6} {'  GET ' + call:<38} {cold:>9} {p50:>9} {c['all']['max_ms']:>9.0f} "
                f"{c['warm_ttfb_p50_ms'] or 0:>9.0f} {c['warm_queued_p50_ms'] or 0:>9.0f}"
            )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.dashboard_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="events to store (default 1M)")
    parser.add_argument("--warm", type=int, default=5, help="warm loads per range after the cold one")
    parser.add_argument("--keep", action="store_true", help="keep the data directory afterwards")
    return parser


def main() -> int:
    args = _parser().parse_args()
    label = f"{args.rows // 1_000_000}m" if args.rows >= 1_000_000 else f"{args.rows // 1000}k"
    home = REPO / ".lynex" / f"dashboard-bench-{label}"
    shots = REPO / ".lynex" / "screenshots" / f"overview-{label}"
    load_start = load_average()
    _build_dashboard()
    loaded = _load(home, args.rows)
    server_cpus, browser_cpus = cores()
    password = secrets.token_urlsafe(16)
    server = LynexServer(
        home=home,
        bootstrap=f"127.0.0.1:{free_port()}",  # the query role never talks to Kafka: nothing listens here
        roles="query",
        prefix="bench.dashboard.",
        api_key=new_api_key(),
        project_id=PROJECT,
        cpus=server_cpus,
        extra_env={"LYNEX_INIT__USER_EMAIL": EMAIL, "LYNEX_INIT__USER_PASSWORD": password},
    )
    _say(
        f"starting --roles query on {server.url} (core {sorted(server_cpus)}; browser on {sorted(browser_cpus)})"
    )
    server.start(timeout=300)
    try:
        assert server.process is not None
        meter = CpuMeter([server.process.pid])
        meter.start()
        busy, children, started = _machine_busy_s(), _children_cpu_s(), time.monotonic()
        browser = _drive(server, password, shots, args.warm, browser_cpus)
        wall = time.monotonic() - started
        # node and Chromium are reaped by the time _drive returns, so their CPU is in RUSAGE_CHILDREN.
        cpu = {"server": meter.cores(), "browser": round((_children_cpu_s() - children) / wall, 3)}
        cpu["machine"] = round((_machine_busy_s() - busy) / wall, 3)
        cpu["others"] = round(cpu["machine"] - cpu["server"] - cpu["browser"], 3)
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    for data in browser["ranges"].values():
        data["summary"] = _summarize(data["loads"])
        data["loads"] = [_compact(load) for load in data["loads"]]
    result = {
        "benchmark": "dashboard overview, browser",
        "machine": machine(),
        "load_average": {"start": load_start, "end": load_average()},
        "events": loaded,
        "browser": browser["browser"],
        "viewport": browser["viewport"],
        "cores": {"server": sorted(server_cpus), "browser": sorted(browser_cpus)},
        # CPU in cores over the browser run: ours, the whole machine's, and the difference (other work).
        "cpu_cores": cpu,
        "method": (
            "cold = first load in a new browser context (empty HTTP cache, signed in); warm = the same URL "
            "navigated to again in that context. rendered = performance.now() on the first animation frame "
            "where the 7 stat panels hold numbers, the 5 time-series panels a uPlot canvas, the model "
            "breakdown its rows, and <main> has no loading state or spinner. API calls from "
            "PerformanceResourceTiming: duration = startTime..responseEnd (queue for one of Chromium's 6 "
            "connections included), ttfb = requestStart..responseStart."
        ),
        "screenshots": str(shots.relative_to(REPO)),
        "ranges": browser["ranges"],
    }
    suffix = "" if args.rows == 1_000_000 else f"_{label}"  # a smaller check run keeps the 1M figures
    out_path = REPO / "bench" / "results" / f"dashboard_overview{suffix}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    _print_table(browser["ranges"])
    print(
        f"\nload average: start {load_start}, end {result['load_average']['end']} "
        f"({result['machine']['cpus']} cores); CPU over the browser run (cores): {cpu}; results: {out_path.relative_to(REPO)}; screenshots: {shots.relative_to(REPO)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
