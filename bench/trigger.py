"""Clarion's trigger path against raw Temporal, both measured in this run, on this machine, on one server.

    .venv/bin/python bench/trigger.py            # full run, about four minutes
    .venv/bin/python bench/trigger.py --quick    # short run, smaller sizes
    .venv/bin/python bench/trigger.py --workers 2 --store postgres    # 1 then 2 worker processes
    .venv/bin/python bench/trigger.py --workers 2 --topic-members 100000    # and a 100 000-member topic

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
    from _scale import Scale

    scaling = args.workers > 0 or args.topic_members > 0 or args.store == "postgres"
    bench = Scale(args, folder, source, version) if scaling else Bench(args, folder, source, version)
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
    scale = parser.add_argument_group("scale-out (any of these runs that benchmark instead of the ratios above)")
    scale.add_argument("--workers", type=int, default=0, metavar="N",
                       help="measure 1, 2, ... N worker processes in turn on one store")
    scale.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite",
                       help="the store of the scale-out run; postgres creates and drops a private database")
    scale.add_argument("--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
                       help="the PostgreSQL server for --store postgres")
    scale.add_argument("--topic-members", type=int, default=0, metavar="K",
                       help="then one trigger to a topic of K members with all N workers (peak RSS, history length)")
    scale.add_argument("--events", type=int, default=0, metavar="E",
                       help="single triggers per worker count (default 300; 100 with --quick)")
    args = parser.parse_args()
    args.workers = max(args.workers, 1) if (args.topic_members or args.store == "postgres") else args.workers
    args.events = args.events or (100 if args.quick else 300)
    return args


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
