"""The targets of issue 9 and the table: figure, value, baseline, ratio, target, pass/miss.

Targets are reported, never asserted: a miss is a finding to profile, not a failed build.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def _row(
    figure: str,
    value: float | None,
    unit: str,
    *,
    target: tuple[str, float] | None = None,
    baseline: str = "",
    ratio: float | None = None,
) -> Row:
    status = "info"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        status = "missing" if target else "info"
    elif target is not None:
        op, bound = target
        status = "pass" if (value >= bound if op == ">=" else value <= bound) else "miss"
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "target": f"{target[0]} {target[1]:g} {unit}" if target else "",
        "status": status,
    }


def _get(data: dict[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _gateway(g: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for shape, label, unit_key, unit, goal, p99_goal, peer_goal in (
        ("batch", "gateway, batches of 100", "events_per_s", "events/s", 100_000, 50, 3.0),
        ("single", "gateway, single events", "requests_per_s", "req/s", 8_000, 20, 1.5),
    ):
        lynex = _get(g, "lynex", shape) or {}
        limit = _get(g, "limit", shape) or {}
        peer = _get(g, "peer", shape) or {}
        value = lynex.get(unit_key)
        rows.append(
            _row(
                f"{label}: throughput",
                value,
                unit,
                target=(">=", goal),
                baseline=f"limit {limit.get(unit_key, float('nan')):,.0f}, peer {peer.get(unit_key, float('nan')):,.0f}",
            )
        )
        per = "server_cpu_us_per_event" if shape == "batch" else "server_cpu_us_per_request"
        rows.append(
            _row(
                f"{label}: server CPU per {'event' if shape == 'batch' else 'request'}",
                lynex.get(per),
                "us",
                baseline=f"limit {limit.get(per)}, peer {peer.get(per)}; server {_get(lynex, 'cpu_cores', 'server')} cores busy",
            )
        )
        rows.append(
            _row(
                f"{label}: p99 latency",
                _get(lynex, "latency", "p99_ms"),
                "ms",
                target=("<=", p99_goal),
                baseline=f"p50 {_ms(_get(lynex, 'latency', 'p50_ms'))}; peer p99 {_ms(_get(peer, 'latency', 'p99_ms'))}",
            )
        )
        ratios = _get(g, "ratios", shape) or {}
        rows.append(
            _row(f"{label}: Lynex / peer", ratios.get("lynex_over_peer"), "x", target=(">=", peer_goal))
        )
        rows.append(_row(f"{label}: Lynex / limit", ratios.get("lynex_over_limit"), "x"))
        ceiling = _get(g, "ceiling", shape) or {}
        rows.append(
            _row(
                f"{label}: load generator ceiling",
                ceiling.get(unit_key),
                unit,
                baseline=f"generator cpu {_get(ceiling, 'cpu_cores', 'server')} (server) / {ceiling.get('loadgen_cpu_cores')} (itself) cores",
            )
        )
    return rows


def _streams(s: dict[str, Any]) -> list[Row]:
    lynex = _get(s, "lynex", "events_per_s")
    limit = _get(s, "limit", "events_per_s")
    return [
        _row(
            "streams: raw -> ClickHouse (enrich + sink, one process)",
            lynex,
            "events/s",
            target=(">=", 50_000),
            baseline=f"limit {limit:,.0f}" if limit else "",
        ),
        _row("streams: Lynex / limit", s.get("lynex_over_limit"), "x", target=(">=", 0.5)),
        _row(
            "streams, faust PRODUCER_MAX_BATCH_SIZE=1 MiB (env)",
            _get(s, "lynex_tuned", "events_per_s"),
            "events/s",
            baseline=f"cpu {_get(s, 'lynex_tuned', 'cpu_cores', 'server')} cores (default: {_get(s, 'lynex', 'cpu_cores', 'server')})",
        ),
    ]


def _freshness(f: dict[str, Any]) -> list[Row]:
    lat = f.get("freshness") or {}
    load = f"at {f.get('events_per_s_sent', '?')} events/s"
    return [
        _row(f"freshness p50 ({load})", _get(lat, "p50_ms"), "ms", target=("<=", 1500)),
        _row("freshness p95", _get(lat, "p95_ms"), "ms", target=("<=", 3000)),
        _row("freshness p99", _get(lat, "p99_ms"), "ms"),
    ]


def _query(q: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for size, data in (q.get("datasets") or {}).items():
        if data.get("skipped"):
            rows.append(_row(f"query {size}: skipped ({data['skipped']})", None, ""))
            continue
        goal = {"10M": 100.0, "100M": 1000.0}.get(size)
        for endpoint, r in (data.get("endpoints") or {}).items():
            target = ("<=", goal) if goal and endpoint.startswith(("overview", "timeseries")) else None
            rows.append(
                _row(
                    f"query {size}: {endpoint} p95",
                    _get(r, "latency", "p95_ms"),
                    "ms",
                    target=target,
                    baseline=f"p50 {_ms(_get(r, 'latency', 'p50_ms'))}",
                )
            )
    return rows


def _sdk(s: dict[str, Any]) -> list[Row]:
    return [
        _row("SDK per-call overhead p50", s.get("p50_us"), "us", target=("<=", 5)),
        _row("SDK per-call overhead p99", s.get("p99_us"), "us", target=("<=", 20)),
        _row("SDK delivery to a local gateway (batched, gzip)", s.get("delivered_events_per_s"), "events/s"),
    ]


SECTIONS: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "gateway": _gateway,
    "streams": _streams,
    "freshness": _freshness,
    "query": _query,
    "sdk": _sdk,
}


def summarize(results: dict[str, Any], run_info: dict[str, Any]) -> dict[str, Any]:
    rows: list[Row] = []
    for name, section in SECTIONS.items():
        data = results.get(name)
        if data is None:
            continue
        if "error" in data:
            rows.append(_row(f"{name}: FAILED ({data['error'][:80]})", None, ""))
            continue
        if data.get("skipped"):
            rows.append(_row(f"{name}: skipped ({data['skipped']})", None, ""))
            continue
        rows.extend(section(data))
    return {"run": run_info, "rows": rows, "results": results}


def _fmt(value: Any, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.3g} {unit}" if abs(value) < 10 else f"{value:.1f} {unit}"


def table_lines(summary: dict[str, Any]) -> list[str]:
    """A Markdown table (also readable on a terminal)."""
    lines = ["| figure | value | baseline | target | |", "|---|---|---|---|---|"]
    for row in summary["rows"]:
        mark = {"pass": "pass", "miss": "**miss**", "info": "", "missing": "missing"}[row["status"]]
        lines.append(
            f"| {row['figure']} | {_fmt(row['value'], row['unit'])} | {row['baseline']} | {row['target']} | {mark} |"
        )
    return lines


def print_table(summary: dict[str, Any]) -> None:
    print("\n".join(table_lines(summary)), file=sys.stdout, flush=True)
