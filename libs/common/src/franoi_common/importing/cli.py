"""``franoi-import``: the partner's IT person imports history from spreadsheets into one of
the partner's services, from a terminal or a script, with the coordinator's token.

    franoi-import --service URL [--token TOKEN] [--lang it|en] sheets
    franoi-import --service URL template SHEET [--format xlsx|csv] [-o FILE]
    franoi-import --service URL upload SHEET FILE [--check-only] [--report report.csv]

The token is ``--token`` or ``FRANOI_TOKEN``. ``upload`` shows its progress on stderr while
the service checks and imports, prints the tally, and writes the problems (a row, a column,
what is wrong) as CSV with ``--report``. Exit status: 0 imported (or checked), 1 refused or
failed (nothing written when refused), 2 the command could not be carried out (usage, a
file it cannot read, the service unreachable or refusing the token).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from franoi_common.importing.files import media_type
from franoi_common.importing.report import (
    RUNNING,
    SUCCEEDED,
    ReportLine,
    file_problems,
    import_problems,
    report_csv,
    tally_line,
)
from franoi_common.importing.sheets import words

TOKEN_ENV = "FRANOI_TOKEN"  # noqa: S105 - the variable's name
DONE, REFUSED, USAGE = 0, 1, 2
POLL_S = 0.5
UNREACHABLE_S = 60.0
"""How long polling rides out a service that does not answer before giving up."""
BAR = 30
SHEET = re.compile(r"[a-z_]{1,40}")


class Stop(Exception):
    """The command ends here, with ``status`` and a message for stderr."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sheet_name(text: str) -> str:
    if not SHEET.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a sheet's name (see: sheets)")
    return text


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="franoi-import",
        description="Import a partner's history from spreadsheets into one of its services.",
        epilog="Exit status: 0 imported or checked, 1 refused or failed, 2 bad usage, a file"
        " that cannot be read, or the service unreachable or refusing the token.",
    )
    found.add_argument("--service", required=True, help="the service's address (http://...)")
    found.add_argument("--token", help=f"the coordinator's token (default: ${TOKEN_ENV})")
    found.add_argument("--lang", choices=("it", "en"), default="it", help="headers and messages")
    commands = found.add_subparsers(dest="command", required=True)
    commands.add_parser("sheets", help="what the service imports: sheets, columns, codes")
    template = commands.add_parser("template", help="download a sheet's template")
    template.add_argument("sheet", type=sheet_name)
    template.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    template.add_argument("-o", "--output", type=Path, help="default: SHEET-LANG.FORMAT")
    upload = commands.add_parser("upload", help="import a CSV or XLSX file of a sheet")
    upload.add_argument("sheet", type=sheet_name)
    upload.add_argument("file", type=Path)
    upload.add_argument("--check-only", action="store_true", help="check only, write nothing")
    upload.add_argument("--report", type=Path, help="write the problems to this CSV file")
    upload.add_argument("--every", type=float, default=POLL_S, help=argparse.SUPPRESS)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; its exit status (argparse exits with 2 on bad usage itself)."""
    args = parser().parse_args(argv)
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token.strip():
        sys.stderr.write(f"franoi-import: give --token or set {TOKEN_ENV}\n")
        return USAGE
    headers = {"Authorization": f"Bearer {token.strip()}"}
    try:
        with httpx.Client(base_url=args.service, headers=headers, timeout=120) as client:
            if args.command == "sheets":
                return sheets(client, args.lang, sys.stdout)
            if args.command == "template":
                return template(client, args.sheet, args.format, args.output, args.lang)
            return upload(client, args, sys.stdout, sys.stderr)
    except Stop as stop:
        sys.stderr.write(f"franoi-import: {stop}\n")
        return stop.status
    except httpx.TransportError as exc:
        sys.stderr.write(f"franoi-import: {args.service} unreachable ({type(exc).__name__})\n")
        return USAGE
    except httpx.InvalidURL as exc:
        sys.stderr.write(f"franoi-import: --service {exc}\n")
        return USAGE


def entry() -> None:
    """The ``franoi-import`` command."""
    raise SystemExit(main())


def answered(response: httpx.Response) -> Any:
    """The answer's JSON, or :class:`Stop` with the service's problem."""
    return checked(response).json()


def checked(response: httpx.Response) -> httpx.Response:
    """The answer, or :class:`Stop` with the service's problem."""
    if response.status_code < 400:
        return response
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    detail = problem.get("detail") or response.reason_phrase
    status = REFUSED if response.status_code in (409, 422) else USAGE
    raise Stop(status, f"{response.status_code} {detail}")


def sheets(client: httpx.Client, lang: str, out: TextIO) -> int:
    for sheet in answered(client.get("/v1/imports/sheets", params={"lang": lang})):
        out.write(f"{sheet['name']}: {sheet['label']}\n")
        for column in sheet["columns"]:
            out.write(f"  {column['header']} ({column['name']}): {column['help']}\n")
            if column["codes"]:
                codes = ", ".join(f"{c['code']} ({c['label']})" for c in column["codes"])
                out.write(f"    {words('import.codes', lang)}: {codes}\n")
    return DONE


def template(client: httpx.Client, sheet: str, fmt: str, output: Path | None, lang: str) -> int:
    response = client.get(
        f"/v1/imports/sheets/{sheet}/template", params={"format": fmt, "lang": lang}
    )
    checked(response)
    target = output or Path(f"{sheet}-{lang}.{fmt}")
    try:
        target.write_bytes(response.content)
    except OSError as exc:
        raise Stop(USAGE, f"cannot write {target}: {exc.strerror}") from None
    sys.stderr.write(f"{target}\n")
    return DONE


def upload(client: httpx.Client, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise Stop(USAGE, f"cannot read {args.file}: {exc.strerror}") from None
    lang: str = args.lang
    response = client.post(
        f"/v1/imports/sheets/{args.sheet}",
        content=data,
        params={"lang": lang, "check_only": str(args.check_only).lower()},
        headers={"Content-Type": media_type(data)},
    )
    if response.status_code == 422:
        problem = response.json()
        lines = file_problems(problem)
        err.write(f"{problem.get('detail', '')}\n")
        show(lines, lang, err)
        write_report(args.report, lines, lang)
        return REFUSED
    status = answered(response)
    status = follow(client, status["import_id"], lang, args.every, err)
    out.write(words(f"import.status.{status['status']}", lang) + "\n")
    if status["status"] == "done":
        out.write(tally_line(status, lang) + "\n")
    lines = import_problems(status)
    show(lines, lang, err)
    if status["problems_total"] > len(lines):
        err.write(f"… {status['problems_total'] - len(lines)}\n")
    write_report(args.report, lines, lang)
    return DONE if status["status"] in SUCCEEDED else REFUSED


def follow(client: httpx.Client, import_id: str, lang: str, every: float, err: TextIO) -> Any:
    """Poll the import until it finishes, drawing its progress on ``err``; a service that
    stops answering for a while is waited for (:data:`UNREACHABLE_S`)."""
    bar = Progress(err)
    silent_since: float | None = None
    while True:
        try:
            status = answered(client.get(f"/v1/imports/{import_id}", params={"lang": lang}))
            silent_since = None
        except httpx.TransportError:
            silent_since = silent_since or time.monotonic()
            if time.monotonic() - silent_since > UNREACHABLE_S:
                raise
            time.sleep(every)
            continue
        bar.show(status["progress"], words(f"import.status.{status['status']}", lang))
        if status["status"] not in RUNNING:
            bar.end()
            return status
        time.sleep(every)


class Progress:
    """A progress bar: redrawn in place on a terminal, one line per tenth (or change of
    status) in a log."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last: tuple[int, str] | None = None

    def show(self, progress: float, status: str) -> None:
        filled = round(max(0.0, min(1.0, progress)) * BAR)
        line = f"[{'#' * filled}{'.' * (BAR - filled)}] {round(progress * 100):3d}% {status}"
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K")
        elif self.last != (seen := (int(progress * 10), status)):
            self.stream.write(line + "\n")
            self.last = seen
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")


def show(lines: Sequence[ReportLine], lang: str, err: TextIO) -> None:
    """The problems, one a line: ``Riga 3, Posti letto: Non è un numero intero``."""
    for line in lines:
        where = [f"{words('import.row', lang)} {line.row}"] if line.row is not None else []
        where += [line.column] if line.column else []
        err.write(f"{', '.join(where) or '-'}: {line.message}\n")


def write_report(path: Path | None, lines: Sequence[ReportLine], lang: str) -> None:
    if path is None:
        return
    try:
        path.write_bytes(report_csv(lines, lang))
    except OSError as exc:
        raise Stop(USAGE, f"cannot write {path}: {exc.strerror}") from None
