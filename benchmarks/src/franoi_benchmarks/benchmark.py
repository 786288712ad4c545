"""How a benchmark is run from the command line: its options (with their limits and their
``--quick`` values), ``--timeout``, ``--json``, the event loop, the report."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import uvloop

Report = dict[str, Any]


@dataclass(frozen=True)
class Option:
    """``--name`` (underscores written as dashes), of its default's type: a flag pair
    (``--name`` / ``--no-name``) for a bool, one of ``choices`` for a string."""

    name: str
    default: Any
    help: str | None = None
    limits: tuple[float, float | None] | None = None
    """The smallest and the largest value allowed (None: no largest)."""
    quick: Any = None
    """Its value in ``--quick`` (None: the default)."""
    choices: Sequence[str] | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        if isinstance(self.default, bool):
            parser.add_argument(
                self.flag,
                action=argparse.BooleanOptionalAction,
                default=self.default,
                help=self.help,
            )
        else:
            kind = type(self.default)
            parser.add_argument(
                self.flag, type=kind, default=self.default, choices=self.choices, help=self.help
            )

    def allows(self, value: Any) -> bool:
        if self.limits is None:
            return True
        low, high = self.limits
        return bool(low <= value and (high is None or value <= high))

    def says(self) -> str:
        """What :attr:`limits` allow, as an error message says it."""
        assert self.limits is not None
        low, high = self.limits
        return f"{self.flag} {low}..{high if high is not None else ''}"


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: ``run`` measures (on the PostgreSQL at its second argument, or on its
    own when None) and returns the report; ``render`` makes it a table."""

    name: str
    doc: str
    """What it measures and how (its module's docstring; the first line is its summary)."""
    options: Sequence[Option]
    run: Callable[[argparse.Namespace, str | None], Awaitable[Report]]
    render: Callable[[Report], str]
    timeout_s: float
    setup: Callable[[], None] | None = None
    """Made before the run, in this process (logging, tracing)."""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0]

    def configure(self, parser: argparse.ArgumentParser) -> None:
        for option in self.options:
            option.add_to(parser)
        quick = " ".join(f"{o.flag} {o.quick}" for o in self.options if o.quick is not None)
        parser.add_argument("--quick", action="store_true", help=f"a small run: {quick}")
        parser.add_argument(
            "--timeout", type=float, default=self.timeout_s, help="stop after this many seconds"
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def settle(self, args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
        """``--quick``'s values, then the options' limits (an error ends the program)."""
        if args.quick:
            for option in self.options:
                if option.quick is not None:
                    setattr(args, option.name, option.quick)
        limited = [o for o in self.options if o.limits is not None]
        if not all(o.allows(getattr(args, o.name)) for o in limited):
            parser.error(", ".join(o.says() for o in limited))

    def parser(self) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(
            prog=f"franoi-bench {self.name}",
            description=self.doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.configure(parser)
        return parser

    def parse_args(self, argv: Sequence[str] | None = None) -> argparse.Namespace:
        parser = self.parser()
        args = parser.parse_args(argv)
        self.settle(args, parser)
        return args

    def execute(self, args: argparse.Namespace) -> int:
        """The run on uvloop, as ``serve`` runs the services (what a benchmark serves in this
        process shares the loop with its clients), bounded by ``--timeout``; the report on
        stdout. 2 when the run was stopped."""
        if self.setup is not None:
            self.setup()

        async def bounded() -> Report:
            async with asyncio.timeout(args.timeout):
                return await self.run(args, None)

        try:
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                report = runner.run(bounded())
        except TimeoutError as exc:
            print(f"benchmark stopped: {str(exc) or f'over {args.timeout:.0f} s'}", file=sys.stderr)
            return 2
        print(json.dumps(report, indent=2, default=str) if args.json else self.render(report))
        return 0
