"""Child processes of the benchmark: start, wait for, measure (CPU from /proc) and stop them."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CLK_TCK = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"  # the whole machine's busy time, to tell what other processes took


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (every thread), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rfind(")") + 2 :].split()  # fields[0] is field 3 (state) of proc(5)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all processes, all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / CLK_TCK


async def wait_quiet(limit_percent: float, patience: float, window: float = 3.0) -> float:
    """Until the machine's busy share over ``window`` seconds is under ``limit_percent`` (100 = one core),
    or ``patience`` seconds passed; return the last busy share seen."""
    deadline = time.monotonic() + patience
    while True:
        before = machine_busy_seconds()
        await asyncio.sleep(window)
        busy = 100 * (machine_busy_seconds() - before) / window
        if busy < limit_percent or time.monotonic() >= deadline:
            return busy


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Child:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Stack:
    """Every child process, started in a session of its own and always stopped by ``stop``."""

    folder: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, args: list[str], env: dict[str, str], cwd: Path) -> Child:
        log = self.folder / f"{name}.log"
        with log.open("ab") as out:
            proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    cwd=cwd)
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def check(self) -> None:
        for child in self.children:
            if child.proc.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.proc.returncode}:\n{child.tail()}")

    def cpu(self) -> dict[str, float]:
        used = {c.name: cpu_seconds(c.proc.pid) for c in self.children if c.proc.poll() is None}
        used["bench"] = cpu_seconds(os.getpid())
        used[MACHINE] = machine_busy_seconds()
        return used

    def stop(self) -> None:
        for child in reversed(self.children):
            if child.proc.poll() is None:
                child.proc.terminate()
        deadline = time.monotonic() + 10
        for child in reversed(self.children):
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()


async def wait_port(port: int, child: Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode} while starting:\n{child.tail()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"{child.name}: nothing listens on port {port} after {timeout:.0f}s")


async def wait_http(url: str, child: Child, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=1) as http:
        while time.monotonic() < deadline:
            if child.proc.poll() is not None:
                raise RuntimeError(f"{child.name} exited with {child.proc.returncode} while starting:\n{child.tail()}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 after {timeout:.0f}s")


async def wait_log(child: Child, text: str, timeout: float = 60) -> None:
    """Until ``text`` appears in the child's log (how the workers say they poll)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(f"{child.name} exited with {child.proc.returncode} while starting:\n{child.tail()}")
        if text in child.log.read_text(errors="replace"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{child.name} did not log {text!r} after {timeout:.0f}s:\n{child.tail()}")


@dataclass
class PhaseCpu:
    phase: str
    wall: float
    seconds: dict[str, float]  # CPU seconds per process; "others" = the rest of the machine

    @property
    def percent(self) -> dict[str, float]:
        """100 = one core busy for the whole phase."""
        return {name: 100 * used / self.wall for name, used in self.seconds.items()}

    @property
    def ours(self) -> float:
        return sum(v for k, v in self.percent.items() if k != "others")

    def __add__(self, other: PhaseCpu) -> PhaseCpu:
        names = self.seconds.keys() | other.seconds.keys()
        return PhaseCpu(f"{self.phase} + {other.phase}", self.wall + other.wall,
                        {n: self.seconds.get(n, 0.0) + other.seconds.get(n, 0.0) for n in names})


@dataclass(frozen=True)
class Cost:
    """CPU milliseconds one item (a start, a trigger, a delivery, a workflow) cost each process."""

    what: str
    items: int
    cpu: PhaseCpu

    def per_item(self, name: str) -> float:
        return 1000 * self.cpu.seconds.get(name, 0.0) / self.items

    @property
    def ours(self) -> float:
        return sum(self.per_item(n) for n in self.cpu.seconds if n != "others")


@dataclass
class CpuMeter:
    """CPU used by each process during each phase (deltas of /proc times, not ps's lifetime average)."""

    stack: Stack
    phases: list[PhaseCpu] = field(default_factory=list)

    def mark(self) -> tuple[float, dict[str, float]]:
        return time.monotonic(), self.stack.cpu()

    def done(self, phase: str, mark: tuple[float, dict[str, float]]) -> PhaseCpu:
        start, before = mark
        wall = time.monotonic() - start
        after = self.stack.cpu()
        used = {name: after[name] - before.get(name, 0.0) for name in after}
        machine = used.pop(MACHINE)
        used["others"] = max(0.0, machine - sum(used.values()))
        result = PhaseCpu(phase, wall, used)
        self.phases.append(result)
        return result
