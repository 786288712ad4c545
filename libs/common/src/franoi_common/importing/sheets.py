"""What a partner service imports: its sheets, each a kind of record with its columns, read
from the commands its API takes (a field is declared once, in the command).

A :class:`Sheet` names the create handler of its records (its command gives the columns),
the column that refers to another sheet's rows (a placement's unit), and the actions a row
can also carry (a unit's withdrawal): those run after the create when the row fills their
columns. Every row has a ``ref``, the code the partner uses for it: the record's id is
derived from it (:func:`record_id`), so importing a file again finds the same records.

A cell is turned into the command's value by its column (:meth:`Column.convert`): dates as
``DD/MM/YYYY`` or ``YYYY-MM-DD`` (or a spreadsheet's date), codes by their value or their
Italian or English label, yes/no in either language; what is wrong becomes a
:class:`Problem`, in the user's language, never quoting a person's data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
import re
import types
import typing
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, SecretStr, ValidationError
from pydantic.fields import FieldInfo

from franoi_common.labels import LABELS, catalogue

WORDS = catalogue("franoi_common", "imports.toml")
"""The templates' and reports' own words (``import.*``)."""

REF = "ref"
"""The column of the partner's own code of a row."""
REF_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
LIST_SEPARATOR = ","
_NAMESPACE = uuid.UUID("6f1d7c2e-4b9a-5e8f-9c3d-2a7b1e0f4c56")


def words(key: str, lang: str, **params: Any) -> str:
    """An ``import.*`` text in ``lang``, with its ``{params}`` filled in."""
    found = WORDS.get(key)
    text = key if found is None else found[1 if lang == "en" else 0]
    return text.format(**params) if params else text


def record_id(partner_id: str, sheet: str, ref: str) -> UUID:
    """The id of the record a partner's row ``ref`` of ``sheet`` creates: the same on every
    import of it, different for every partner."""
    return uuid.uuid5(_NAMESPACE, f"{partner_id}\x1f{sheet}\x1f{ref}")


@dataclass(frozen=True)
class Problem:
    """What is wrong with a row (``row`` 1 is the header; None: the whole file), in a
    column (None: the whole row): a stable ``code`` and the parameters of its message."""

    row: int | None
    field: str | None
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, lang: str) -> str:
        return words(f"import.problem.{self.code}", lang, **_localised(self.params, lang))

    def plain(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "params": self.params}

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> Problem:
        return cls(data["row"], data["field"], data["code"], data.get("params") or {})


def _localised(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Parameters given in both languages (``{"it": ..., "en": ...}``) in ``lang``; a
    ``sheet`` by its label."""
    found = {
        k: v[lang if lang in v else "it"] if isinstance(v, dict) else v for k, v in params.items()
    }
    if "sheet" in found:
        found["sheet"] = words(f"import.sheet.{found['sheet']}", lang)
    return found


class CellError(ValueError):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


Kind = typing.Literal[
    "text",
    "date",
    "integer",
    "code",
    "codes",
    "yes_no",
    "reference",
    "identifier",
    "person_ref",
    "persons",
    "texts",
]
_PERSON_REF = re.compile(r"^[0-9a-f]{64}$")
_PERSON_COLUMNS = ("person_identifier", "person_ref", "tax_code", "residence_permit_number")

_YES = {"sì", "si", "s", "yes", "y", "true", "vero", "1", "x"}
_NO = {"no", "n", "false", "falso", "0"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


@dataclass(frozen=True)
class Column:
    """One column of a sheet: the command's field it fills, and how a cell becomes its value."""

    name: str
    kind: Kind
    required: bool
    enum: type[Enum] | None = None
    refers_to: str | None = None
    description: str = ""

    def header(self, lang: str) -> str:
        if self.name == REF:
            return words("import.ref", lang)
        return _label(f"field.{self.name}", lang) or self.name

    def headers(self) -> set[str]:
        """Every header that names this column: its field's name, its Italian and English
        labels (compared without case or surrounding spaces)."""
        return {_fold(h) for h in (self.name, self.header("it"), self.header("en"))}

    def codes(self) -> list[tuple[str, str, str]]:
        """A code column's values with their Italian and English labels."""
        if self.enum is None:
            return []
        return [(str(m.value), *_value_labels(self.enum, m)) for m in self.enum]

    def help(self, lang: str) -> str:
        """What the column holds and whether it is required, in ``lang``."""
        sheet = words(f"import.sheet.{self.refers_to}", lang) if self.refers_to else ""
        kind = words(f"import.kind.{self.kind}", lang, sheet=sheet)
        need = words("import.required" if self.required else "import.optional", lang)
        return f"{kind}; {need}"

    def convert(self, raw: Any, partner_id: str) -> Any:
        """The command's value of a cell (None when empty); raises :class:`CellError`."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        text = raw.strip() if isinstance(raw, str) else raw
        match self.kind:
            case "date":
                return _date(text)
            case "integer":
                return _integer(text)
            case "code":
                return self._code(str(text))
            case "codes":
                return [self._code(p) for p in str(text).split(LIST_SEPARATOR) if p.strip()]
            case "yes_no":
                return _yes_no(text)
            case "reference":
                return self._reference(str(text), partner_id)
            case "texts":
                return [p.strip() for p in str(text).split(LIST_SEPARATOR) if p.strip()]
            case "persons":
                return [
                    {
                        "person_ref"
                        if _PERSON_REF.match(p.strip())
                        else "person_identifier": p.strip()
                    }
                    for p in str(text).split(LIST_SEPARATOR)
                    if p.strip()
                ]
            case _:
                return str(text) if not isinstance(text, float) else str(int(text))

    def _code(self, text: str) -> Any:
        assert self.enum is not None
        wanted = _fold(text)
        for value, it, en in self.codes():
            if wanted in (_fold(value), _fold(it), _fold(en)):
                return value
        shown = text if len(text) <= 40 else text[:40] + "…"
        allowed = {
            lang: ", ".join(f"{value} ({labels[n]})" for value, *labels in self.codes())
            for n, lang in enumerate(("it", "en"))
        }
        raise CellError("code", value=shown, codes=allowed)

    def _reference(self, text: str, partner_id: str) -> UUID:
        try:
            return UUID(text)  # a record already in the service, by its id
        except ValueError:
            pass
        if not REF_PATTERN.match(text):
            raise CellError("text")
        assert self.refers_to is not None
        return record_id(partner_id, self.refers_to, text)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _label(key: str, lang: str) -> str | None:
    found = LABELS.get(key)
    return None if found is None else found[1 if lang == "en" else 0]


def _value_labels(enum: type[Enum], member: Enum) -> tuple[str, str]:
    found = LABELS.get(f"enum.{enum.__name__}.{member.value}")
    return found if found is not None else (str(member.value), str(member.value))


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(str(value), fmt).date()
        except ValueError:
            continue
    raise CellError("date")


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError:
        raise CellError("integer") from None


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = _fold(str(value))
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise CellError("yes_no")


Handler = Callable[..., Awaitable[Any]]


def _command_of(handler: Handler) -> type[BaseModel]:
    hints = typing.get_type_hints(handler)
    last = list(inspect.signature(handler).parameters)[-1]
    command = hints[last]
    assert isinstance(command, type) and issubclass(command, BaseModel), handler
    return command


@dataclass(frozen=True)
class Sheet:
    """A kind of record a partner imports: ``create`` makes one from a row (its command's
    fields are the columns but ``id_field``, which :func:`record_id` fills), ``refers``
    names the sheet each reference field points to, and each of ``then`` (an action on the
    created record, ``(services, partner_id, record_id, command)``) runs when the row fills
    its command's required columns; ``omit`` names the fields no column fills."""

    name: str
    create: Handler
    id_field: str
    refers: Mapping[str, str] = field(default_factory=dict)
    then: Sequence[Handler] = ()
    omit: frozenset[str] = frozenset()
    """Fields a flat row does not carry (nested lists...): they keep their defaults."""

    @functools.cached_property
    def command(self) -> type[BaseModel]:
        return _command_of(self.create)

    @functools.cached_property
    def actions(self) -> list[tuple[Handler, type[BaseModel]]]:
        return [(action, _command_of(action)) for action in self.then]

    @functools.cached_property
    def by_name(self) -> dict[str, Column]:
        """The columns by the field they fill."""
        return {c.name: c for c in self.columns}

    def label(self, lang: str) -> str:
        return words(f"import.sheet.{self.name}", lang)

    @functools.cached_property
    def columns(self) -> list[Column]:
        """``ref``, then the create's fields, then the actions' (each once, in order)."""
        found: dict[str, Column] = {REF: Column(REF, "text", True)}
        for command, optional in [(self.command, False)] + [(c, True) for _, c in self.actions]:
            for name, info in command.model_fields.items():
                if name == self.id_field or name in found or name in self.omit:
                    continue
                found[name] = self._column(name, info, optional)
        return list(found.values())

    def _column(self, name: str, info: FieldInfo, optional: bool) -> Column:
        hint = _without_none(info.annotation)
        required = info.is_required() and not optional
        description = info.description or ""
        if name in self.refers:
            return Column(name, "reference", required, refers_to=self.refers[name])
        if hint is SecretStr:
            return Column(name, "identifier", required, description=description)
        if name == "person_ref":
            return Column(name, "person_ref", required, description=description)
        origin = typing.get_origin(hint)
        if origin in (list, tuple, set, frozenset):
            [item] = typing.get_args(hint)[:1]
            item = _without_none(item)
            if isinstance(item, type) and issubclass(item, BaseModel):
                return Column(name, "persons", required, description=description)
            enum = item if isinstance(item, type) and issubclass(item, Enum) else None
            return Column(name, "codes" if enum else "texts", required, enum, None, description)
        if isinstance(hint, type) and issubclass(hint, Enum):
            return Column(name, "code", required, hint, description=description)
        if hint is bool:
            return Column(name, "yes_no", required, description=description)
        if hint is int:
            return Column(name, "integer", required, description=description)
        if hint in (dt.date, dt.datetime):
            return Column(name, "date", required, description=description)
        if hint is UUID:
            raise TypeError(f"{self.name}.{name}: a reference needs its sheet in refers")
        return Column(name, "text", required, description=description)


def _without_none(hint: Any) -> Any:
    """The type of ``T | None`` or ``Annotated[T, ...]``: ``T``."""
    if typing.get_origin(hint) is typing.Annotated:
        return _without_none(typing.get_args(hint)[0])
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return _without_none(args[0])
    return hint


@dataclass(frozen=True)
class Row:
    """A data row of a file: its number in the spreadsheet and its cells by column name."""

    number: int
    cells: Mapping[str, Any]


@dataclass
class ReadRow:
    """A row turned into its commands: the create's and those of the actions it fills."""

    number: int
    ref: str
    record_id: UUID
    create: BaseModel
    actions: list[tuple[Handler, BaseModel]]
    references: dict[UUID, tuple[str, str]]
    """Each reference's id → its column and sheet (to say which names an unknown record)."""


def read_rows(
    sheet: Sheet, partner_id: str, rows: Sequence[Row]
) -> tuple[list[ReadRow], list[Problem]]:
    """Every row of a file as its commands, or the problems that stop it (all of them, in
    row order): a cell that is not a value of its column, a command the service would
    refuse on its face, a reference used twice, a row repeated."""
    columns = sheet.by_name
    read: list[ReadRow] = []
    problems: list[Problem] = []
    refs: dict[str, int] = {}
    contents: dict[tuple[Any, ...], int] = {}
    for row in rows:
        found: list[Problem] = []
        values: dict[str, Any] = {}
        for name, column in columns.items():
            try:
                values[name] = column.convert(row.cells.get(name), partner_id)
            except CellError as exc:
                found.append(Problem(row.number, name, exc.code, exc.params))
        ref = values.pop(REF)
        if ref is None:
            found.append(Problem(row.number, REF, "required"))
        elif not REF_PATTERN.match(ref):
            found.append(Problem(row.number, REF, "text"))
        elif ref in refs:
            found.append(Problem(row.number, REF, "duplicate_ref", {"row": refs[ref]}))
        else:
            refs[ref] = row.number
        # Two rows of the same person alike in every cell but the ref are one record entered
        # twice (two flats alike are two flats).
        content = tuple(sorted((k, _hashable(v)) for k, v in values.items()))
        if any(values.get(k) for k in _PERSON_COLUMNS):
            earlier = contents.setdefault(content, row.number)
            if earlier != row.number:
                found.append(Problem(row.number, None, "duplicate_row", {"row": earlier}))
        cells_read = not any(p.field in columns and p.field != REF for p in found)
        made = (
            _commands(sheet, partner_id, row.number, ref or "", values, columns)
            if cells_read
            else []
        )
        if isinstance(made, ReadRow) and not found:
            read.append(made)
        elif not isinstance(made, ReadRow):
            found += made
        problems += found
    return read, problems


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _commands(
    sheet: Sheet,
    partner_id: str,
    number: int,
    ref: str,
    values: Mapping[str, Any],
    columns: Mapping[str, Column],
) -> ReadRow | list[Problem]:
    made_id = record_id(partner_id, sheet.name, ref)
    problems: list[Problem] = []
    fields = sheet.command.model_fields
    given = {k: v for k, v in values.items() if k in fields and v is not None}
    create = _validated(sheet.command, {**given, sheet.id_field: made_id}, number, problems)
    actions: list[tuple[Handler, BaseModel]] = []
    for action, command in sheet.actions:
        wanted = {k: values.get(k) for k in command.model_fields}
        required = [k for k, info in command.model_fields.items() if info.is_required()]
        if not any(wanted[k] is not None for k in required):
            continue  # the row does not carry this action
        done = _validated(
            command, {k: v for k, v in wanted.items() if v is not None}, number, problems
        )
        if done is not None:
            actions.append((action, done))
    if problems or create is None:
        return problems
    references = {
        values[name]: (name, column.refers_to or "")
        for name, column in columns.items()
        if column.kind == "reference" and values.get(name) is not None
    }
    return ReadRow(number, ref, made_id, create, actions, references)


def _validated(
    command: type[BaseModel], data: Mapping[str, Any], number: int, problems: list[Problem]
) -> BaseModel | None:
    try:
        return command.model_validate(dict(data))
    except ValidationError as exc:
        for error in exc.errors(include_input=False, include_url=False):
            where = str(error["loc"][0]) if error["loc"] else None
            problems.append(Problem(number, where, *_problem_of(error)))
        return None


_TEXT_ERRORS = {"string_pattern_mismatch", "string_too_long", "string_too_short", "string_type"}


def _problem_of(error: Any) -> tuple[str, dict[str, Any]]:
    """A pydantic error as the report's code and parameters (never the value)."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required", {}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = _as_date(ctx.get("ge", ctx.get("le", ctx.get("gt", ctx.get("lt")))))
        sign = {"greater_than_equal": "≥", "less_than_equal": "≤", "greater_than": ">"}
        text = f"{sign.get(kind, '<')} {_shown(bound)}"
        return ("date_range" if isinstance(bound, dt.date) else "range"), {"bound": text}
    if kind in _TEXT_ERRORS:
        return "text", {}
    if kind.startswith("date"):
        return "date", {}
    if kind.startswith("int"):
        return "integer", {}
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return "invalid", {"detail": message}


def _as_date(bound: Any) -> Any:
    if isinstance(bound, str):
        try:
            return dt.date.fromisoformat(bound)
        except ValueError:
            return bound
    return bound


def _shown(bound: Any) -> str:
    return bound.strftime("%d/%m/%Y") if isinstance(bound, dt.date) else str(bound)
