"""The printed report: figures against same-run baselines, CPU per process and phase, the machine."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass

from _harness import Cost, PhaseCpu


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Row:
    figure: str
    value: float
    baseline_name: str
    baseline: float
    unit: str
    target: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else math.inf

    @property
    def verdict(self) -> str:
        ok = self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target
        return "PASS" if ok else "SHORT"

    @property
    def target_text(self) -> str:
        return f"{'>=' if self.higher_is_better else '<='} {self.target:g}x"


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def results_table(rows: Sequence[Row]) -> str:
    head = ("figure", "Clarion", "baseline (same run, same server)", "ratio", "target", "")
    body = [
        (r.figure, _fmt(r.value, r.unit), f"{r.baseline_name}: {_fmt(r.baseline, r.unit)}", f"{r.ratio:.2f}x",
         r.target_text, r.verdict)
        for r in rows
    ]
    return plain_table(head, body)


def cpu_table(phases: Sequence[PhaseCpu], names: Sequence[str]) -> str:
    head = ("phase", "wall s", *names, "ours", "other processes")
    body = [
        (p.phase, f"{p.wall:.1f}", *(f"{p.percent.get(n, 0.0):.0f}%" for n in names), f"{p.ours:.0f}%",
         f"{p.percent['others']:.0f}%")
        for p in phases
    ]
    return plain_table(head, body)


def cost_table(costs: Sequence[Cost], names: Sequence[str], cores: int) -> str:
    """CPU per item: robust to a shared machine, and the ceiling it implies if nothing else ran."""
    head = ("CPU ms per item", "items", *names, "ours", f"ceiling on {cores} cores")
    body = [
        (c.what, str(c.items), *(f"{c.per_item(n):.1f}" for n in names), f"{c.ours:.1f}",
         f"{1000 * cores / c.ours:,.0f}/s" if c.ours else "-")
        for c in costs
    ]
    return plain_table(head, body)


def info_table(rows: Sequence[tuple[str, str]]) -> str:
    return plain_table(("measurement", "value"), rows)


def plain_table(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def fmt(row: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    return "\n".join([line, fmt(head), line, *(fmt(r) for r in body), line])


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "")
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} CPU(s) {model}, {system}, Python {platform.python_version()}"
