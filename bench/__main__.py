"""Run the benchmarks: every module bench/bench_*.py that defines `run(args) -> None`.

    python -m bench                      # all of them, 1,000,000 orders
    python -m bench --only queue         # one (repeatable: --only queue --only stats)
    python -m bench --orders 100000      # a quicker run on a smaller database
    python -m bench --database-url postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench

A module may also define `add_arguments(parser)` to add options of its own (give them a prefix,
e.g. --intake-rows, so that modules do not clash). A bench that fails prints its traceback; the
others still run, and the exit status is then 1.
"""

import argparse
import importlib
import pkgutil
import sys
import time
import traceback

import bench
from bench.common import describe_environment


def discover() -> dict[str, object]:
    """The bench modules, by short name ("queue" for bench/bench_queue.py), in name order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"bench.{info.name}")
            if callable(getattr(module, "run", None)):
                found[info.name.removeprefix("bench_")] = module
    return found


def parser_for(modules: dict[str, object]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description="Casework benchmarks.")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this bench (repeatable); one of: {', '.join(modules) or 'none yet'}",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=1_000_000,
        help="orders in the benchmark database (default 1,000,000)",
    )
    parser.add_argument(
        "--database-url",
        default=None,
        help="benchmark on this database instead of a SQLite file in bench/out/ (e.g. PostgreSQL)",
    )
    parser.add_argument("--repeat", type=int, default=20, help="timed repetitions per figure (default 20)")
    for module in modules.values():
        add_arguments = getattr(module, "add_arguments", None)
        if callable(add_arguments):
            add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    modules = discover()
    args = parser_for(modules).parse_args(argv)
    wanted = [name.removeprefix("bench_") for name in (args.only or modules)]
    unknown = [name for name in wanted if name not in modules]
    if unknown:
        print(f"no bench named {', '.join(unknown)}; known: {', '.join(modules)}", file=sys.stderr)
        return 2
    print(describe_environment(args))
    failed = []
    for name in wanted:
        print(f"\n== bench {name} ==", flush=True)
        started = time.perf_counter()
        try:
            modules[name].run(args)
        except Exception:  # noqa: BLE001 - report it and go on with the other benches
            traceback.print_exc()
            failed.append(name)
        print(f"== {name} done in {time.perf_counter() - started:.1f} s ==", flush=True)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
