"""Clarion's trigger path against raw Temporal, both measured in this run, on this machine, on one server.

    .venv/bin/python bench/trigger.py            # full run, about four minutes
    .venv/bin/python bench/trigger.py --quick    # short run, smaller sizes

Copies Clarion's packages and starts everything in a temporary folder (SQLite store, Temporal dev
server, Clarion worker and API, a raw worker), measures, prints a table of ratios, stops every
child and leaves with ``os._exit``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from _snapshot import digest, snapshot

ROOT = Path(__file__).resolve().parent.parent


def say(text: str) -> None:
    print(text, flush=True)


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="clarion-bench-"))
    source = folder / "src"
    version = snapshot(ROOT, source)
    # Ahead of the editable install's finder: this process and every child import the copy.
    sys.path.insert(0, str(source))
    from _bench import Bench

    bench = Bench(args, folder, source, version)
    try:
        await bench.run()
        live = digest(ROOT)
        say(f"\nmeasured Clarion {version} (a copy taken at the start); the repository is now "
            + ("the same" if live == version else f"{live}: it changed during the run, which did not affect it"))
    except BaseException:
        for child in bench.stack.children:
            say(f"--- last lines of {child.log} ---\n{child.tail()}")
        raise
    finally:
        bench.stack.stop()
        if args.keep:
            say(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a check that it runs, not a measure")
    parser.add_argument("--temporal-db", choices=["memory", "file"], default="memory",
                        help="dev server persistence (clarion dev uses a file; default: memory)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="children inherit PYTHONDONTWRITEBYTECODE (compile every re-imported workflow module)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="first wait up to this long for the machine to be idle (a shared machine)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    return parser.parse_args()


if __name__ == "__main__":
    code = 0
    try:
        asyncio.run(main(parse()))
    except KeyboardInterrupt:
        code = 130
    except Exception:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # temporalio may abort while the interpreter exits (sdk-python issue 300)
