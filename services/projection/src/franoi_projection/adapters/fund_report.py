"""The fund report of a period's version as a workbook (XLSX) and as a printable PDF: the
key numbers and every indicator as approved for the network, each region and each partner,
the late entries since the approval and the figures they have changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF

from franoi_projection.adapters.exports import Column, Sheet, to_workbook
from franoi_projection.domain import fund_report as fr
from franoi_projection.domain.indicators import BY_ID, Text


@dataclass(frozen=True)
class LateEntry:
    partner_id: str
    event_type: str
    record_id: str
    dated_on: dt.date
    entered_at: dt.datetime


@dataclass(frozen=True)
class Report:
    period_id: str
    label: Text
    first_month: str
    last_month: str
    deadline: dt.date
    version: int
    approved_at: dt.datetime
    partners: Mapping[str, str]
    """Partner id → name."""
    regions: Mapping[str, str]
    sums: fr.Sums
    late: Sequence[LateEntry]
    changed: Mapping[str, Mapping[str, float]]
    reopened_at: dt.datetime | None = None


T = {
    "title": Text("Rendiconto al fondo", "Fund report"),
    "period": Text("Periodo", "Period"),
    "months": Text("Mesi", "Months"),
    "version": Text("Versione", "Version"),
    "approved": Text("Approvata il", "Approved on"),
    "reopened": Text("Riaperta il", "Reopened on"),
    "key_numbers": Text("Numeri chiave", "Key numbers"),
    "indicators": Text("Indicatori", "Indicators"),
    "late": Text("Registrazioni tardive", "Late entries"),
    "changed": Text("Variazioni dopo l'approvazione", "Changes since approval"),
    "scope": Text("Ambito", "Scope"),
    "name": Text("Nome", "Name"),
    "indicator": Text("Indicatore", "Indicator"),
    "label": Text("Descrizione", "Label"),
    "value": Text("Valore", "Value"),
    "numerator": Text("Numeratore", "Numerator"),
    "denominator": Text("Denominatore", "Denominator"),
    "event": Text("Tipo di evento", "Event type"),
    "record": Text("Record", "Record"),
    "dated": Text("Data del fatto", "Day it happened"),
    "entered": Text("Registrato il", "Entered at"),
    "difference": Text("Differenza (attuale - approvato)", "Difference (live - approved)"),
    "fixed_note": Text(
        "Le cifre sono quelle approvate: le registrazioni arrivate dopo l'approvazione non le"
        " cambiano e sono elencate a parte, finché il consorzio non riapre il periodo.",
        "The figures are those approved: entries arriving after the approval do not change"
        " them and are listed apart, until the consortium reopens the period.",
    ),
    "late_count": Text("registrazioni tardive", "late entries"),
    "none": Text("Nessuna", "None"),
}


def _scope_name(report: Report, scope: fr.Scope, lang: str) -> str:
    if scope.kind == "network":
        return fr.SCOPE_LABELS["network"](lang)
    if scope.kind == "partner":
        return f"{scope.key} {report.partners.get(scope.key, '')}".strip()
    return scope.key


def _rows(report: Report, indicators: Sequence[Any], lang: str) -> list[list[Any]]:
    rows = []
    for scope in fr.scopes(report.regions):
        name = _scope_name(report, scope, lang)
        for f in fr.figures(report.regions, report.sums, indicators, lang, scope):
            kind = fr.SCOPE_LABELS[scope.kind](lang)
            value, num, den = f["value"], f["numerator"], f["denominator"]
            rows.append([kind, name, f["indicator_id"], f["label"], value, num, den])
    return rows


_FIGURE_COLUMNS = [
    Column(T["scope"]),
    Column(T["name"]),
    Column(T["indicator"]),
    Column(T["label"]),
    Column(T["value"], "number"),
    Column(T["numerator"], "number"),
    Column(T["denominator"], "number"),
]


def _about(report: Report, lang: str) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [T["period"](lang), f"{report.period_id} — {report.label(lang)}"],
        [T["months"](lang), f"{report.first_month} … {report.last_month}"],
        [T["version"](lang), report.version],
        [T["approved"](lang), report.approved_at],
    ]
    if report.reopened_at:
        rows.append([T["reopened"](lang), report.reopened_at])
    return rows


def workbook(report: Report, lang: str) -> bytes:
    sheets = [
        Sheet(T["period"], [Column(T["name"]), Column(T["value"])], _about(report, lang)),
        Sheet(T["key_numbers"], _FIGURE_COLUMNS, _rows(report, fr.KEY_NUMBER_INDICATORS, lang)),
        Sheet(T["indicators"], _FIGURE_COLUMNS, _rows(report, fr.NETWORK_INDICATORS, lang)),
        Sheet(
            T["late"],
            [
                Column(T["scope"]),
                Column(T["event"]),
                Column(T["record"]),
                Column(T["dated"], "date"),
                Column(T["entered"], "datetime"),
            ],
            [
                [e.partner_id, e.event_type, e.record_id, e.dated_on, e.entered_at]
                for e in report.late
            ],
        ),
        Sheet(
            T["changed"],
            [Column(T["scope"]), Column(T["indicator"]), Column(T["difference"], "number")],
            [[p, i, d] for p, by in report.changed.items() for i, d in by.items()],
        ),
    ]
    return to_workbook(sheets, lang)


_PLAIN = str.maketrans(
    {"\u2014": "-", "\u2013": "-", "\u2212": "-", "\u2026": "...", "\u2019": "'", "\u2265": ">="}
)


def _latin(text: object) -> str:
    """Text the PDF's built-in fonts can show (Latin-1: every Italian letter)."""
    return str(text).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def __init__(self, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(footer)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=7)
        self.cell(0, 5, _latin(f"{self._footer_text} - {self.page_no()}"), align="C")


def _line(doc: FPDF, height: float, text: str) -> None:
    doc.multi_cell(0, height, _latin(text), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    widths = (25, 115, 25, 25)[: len(header)] if len(header) == 4 else None
    pdf.set_font("helvetica", size=8)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        row = table.row()
        for h in header:
            row.cell(_latin(h))
        for values in rows:
            row = table.row()
            for v in values:
                row.cell(_latin("" if v is None else v))


def pdf(report: Report, lang: str) -> bytes:
    title = f"{T['title'](lang)} - {report.label(lang)} (v{report.version})"
    doc = _Pdf(title)
    doc.add_page()
    doc.set_font("helvetica", style="B", size=14)
    _line(doc, 8, title)
    doc.set_font("helvetica", size=9)
    for name, value in _about(report, lang):
        shown = value.strftime("%Y-%m-%d %H:%M UTC") if isinstance(value, dt.datetime) else value
        _line(doc, 5, f"{name}: {shown}")
    _line(doc, 5, T["fixed_note"](lang))
    header = [T["indicator"](lang), T["label"](lang), T["value"](lang), T["denominator"](lang)]
    for scope in fr.scopes(report.regions):
        indicators = fr.NETWORK_INDICATORS if scope.kind == "network" else fr.KEY_NUMBER_INDICATORS
        heading = f"{fr.SCOPE_LABELS[scope.kind](lang)}: {_scope_name(report, scope, lang)}"
        doc.ln(3)
        doc.set_font("helvetica", style="B", size=11)
        _line(doc, 6, heading)
        rows = [
            [f["indicator_id"], f["label"], f["display"], f["denominator"]]
            for f in fr.figures(report.regions, report.sums, indicators, lang, scope)
        ]
        _table(doc, header, rows)
    doc.ln(3)
    doc.set_font("helvetica", style="B", size=11)
    _line(doc, 6, T["late"](lang))
    doc.set_font("helvetica", size=9)
    counts: dict[str, int] = {}
    for e in report.late:
        counts[e.partner_id] = counts.get(e.partner_id, 0) + 1
    for partner, n in sorted(counts.items()) or [(T["none"](lang), 0)]:
        changed = report.changed.get(partner, {})
        names = ", ".join(BY_ID[i].label(lang) for i in changed)
        line = f"{partner}: {n} {T['late_count'](lang)}" if n else partner
        _line(doc, 5, line + (f" ({names})" if names else ""))
    return bytes(doc.output())
