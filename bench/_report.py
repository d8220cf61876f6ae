"""Write one benchmark's section of BENCHMARKS.md, leaving the other sections alone."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nEvery number here comes from a script in `bench/`; each section names its command and machine.\n"


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BENCHMARKS.parent).stdout.strip()
    except OSError:
        commit = "?"
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}; commit {commit}; {datetime.now(timezone.utc):%Y-%m-%d}"


def write_section(name: str, body: str, command: str) -> None:
    """Replace (or append) the section `name` with `body`, stamped with the command and the machine."""
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    block = f"<!-- bench:{name} -->\n{body.rstrip()}\n\nCommand: `{command}`  \nMachine: {machine()}\n<!-- /bench:{name} -->"
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)
