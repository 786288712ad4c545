"""A form for every write operation of the partner's services, read from their OpenAPI
documents: the services declare each field once (type, range, choices, required), and the
desk asks for exactly that, so a new operation or field needs no page of its own.

Pure: :func:`forms_of` turns a document into :class:`Form` specs, :meth:`Form.body` turns the
posted values into the request's JSON body. A form about a person (its body takes
``person_ref``) never asks for the person's pseudonym or coarse attributes: the desk fills
them from the register (see :data:`FROM_THE_REGISTER`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import quote

WRITE_METHODS = ("post", "put", "patch", "delete")
FROM_THE_REGISTER = frozenset({"person_ref", "sex", "age_band", "protection_status"})
"""What a record about a person carries of them, taken from their record in the register
(the age band on the record's day), never typed again."""
THE_PERSON = "person_id"
"""The register's own id of a person (a plan names its person so): given by the page the
form is opened from, never chosen again."""
NEVER_ASKED = frozenset({"person_identifier"})
"""A raw identifier would split a person's journey if it differed from the register's:
forms about a person always send the register's ``person_ref``."""
CLIENT_CHOSEN = "client-chosen"
"""How the services describe a create's own id: the form fills it once, so that sending the
form again (a retry, a double click) records nothing twice."""
LIST_SEPARATOR = re.compile(r"[,;\n]+")


class Kind(StrEnum):
    TEXT = "text"
    SECRET = "secret"  # noqa: S105 - a kind of field (a document number), not a password
    DATE = "date"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    CHOICES = "choices"
    """Several values of an enumeration (checkboxes)."""
    TEXTS = "texts"
    """Several short texts (one per line or comma-separated)."""
    PERSONS = "persons"
    """Several persons of the register (an attendance list), ticked in one go."""
    TALLY = "tally"
    """Counts by a coded value and a yes/no (walk-ins by topic, referred or not): a grid of
    numbers, one submit."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool
    enum: str | None = None
    """The enumeration's name (for the labels of its values), with ``choices``."""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    pattern: str | None = None
    client_chosen: bool = False
    in_path: bool = False
    picker: str | None = None
    """The list of the partner's records to choose this id from (``GET /v1/units`` for a
    ``unit_id``), so that nobody types an id."""
    picker_by_person: bool = False
    """The list takes a ``person_ref`` filter: for a person, only their records."""
    tally: tuple[str, str | None, str] | None = None
    """For a tally: the item's (coded field, yes/no field or None, count field)."""

    def tally_key(self, choice: str, flag: bool | None) -> str:
        """The posted name of one cell of a tally's grid."""
        return f"{self.name}.{choice}" + ("" if flag is None else f".{'yes' if flag else 'no'}")

    @property
    def hidden(self) -> bool:
        return self.client_chosen


@dataclass(frozen=True)
class Form:
    domain: str
    operation_id: str
    method: str
    path: str
    tag: str
    fields: tuple[Field, ...]
    about_a_person: bool
    unsupported: tuple[str, ...] = ()
    """Body fields the form cannot ask for (nested objects): left to the service's default."""

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.operation_id}"

    @property
    def record_id(self) -> str | None:
        """The one path parameter naming the record the operation acts on, if any."""
        named = [f.name for f in self.fields if f.in_path]
        return named[0] if len(named) == 1 else None

    def record_day(self, values: Mapping[str, Any]) -> str | None:
        """The day the record happens on (what a person's age band is taken at): the first
        date given that is not a plan for later (``planned_*``, ``*_until``, ``ends_on``)."""
        for spec in self.fields:
            later = spec.name.startswith("planned_") or spec.name.endswith(("_until", "ends_on"))
            if spec.kind is Kind.DATE and not later and values.get(spec.name):
                return str(values[spec.name])
        return None

    def asked(self) -> list[Field]:
        """The fields a person fills (not the register's, not the hidden ones)."""
        given = FROM_THE_REGISTER | ({THE_PERSON} if self.about_a_person else set())
        return [f for f in self.fields if not f.hidden and f.name not in given]

    def url(self, values: Mapping[str, str]) -> str:
        """The operation's path with its parameters filled from ``values`` (each one path
        segment, quoted: a value never reaches another operation)."""
        return re.sub(
            r"\{([a-z_]+)\}", lambda m: quote(values.get(m.group(1), "") or "-", safe=""), self.path
        )

    def body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The JSON body of the posted ``values``: an empty field is left out (the service
        applies its default or says it is required); numbers and lists as the service wants
        them. A value that does not convert is sent as typed: the service refuses it with a
        message for its field."""
        body: dict[str, Any] = {}
        for spec in self.fields:
            if spec.in_path:
                continue
            raw = values.get(spec.name)
            if spec.kind is Kind.PERSONS:
                refs = _items(raw, Kind.CHOICES)
                if refs:
                    body[spec.name] = [{"person_ref": ref} for ref in refs]
                continue
            if spec.kind is Kind.TALLY:
                cells = _tally(spec, values)
                if cells:
                    body[spec.name] = cells
                continue
            if spec.kind in (Kind.CHOICES, Kind.TEXTS):
                items = _items(raw, spec.kind)
                if items:
                    body[spec.name] = items
                continue
            if spec.kind is Kind.BOOLEAN:
                if spec.name in values:
                    body[spec.name] = str(raw).lower() in ("on", "true", "1", "yes")
                continue
            if raw is None or str(raw).strip() == "":
                continue
            body[spec.name] = _scalar(str(raw).strip(), spec.kind)
        return body


def follow_ups(
    forms: list[Form], record: Mapping[str, Any], own_id: str | None = None
) -> list[tuple[Form, str]]:
    """The operations on a record (a placement, a stay...): each form whose one path
    parameter is the record's own id (``own_id``; any of its ids when not given), with
    that id."""
    found = []
    for form in forms:
        name = form.record_id
        if name is None or (own_id is not None and name != own_id):
            continue
        if isinstance(record.get(name), str) and record.get(name):
            found.append((form, str(record[name])))
    return found


def own_id(forms: list[Form], kind: str) -> str | None:
    """The id naming a record of ``kind`` (``placements`` -> ``placement_id``): the field
    whose picker lists that kind."""
    listing = "/v1/" + kind.replace("_", "-")
    for form in forms:
        for spec in form.fields:
            if spec.picker == listing:
                return spec.name
    return None


FACT_KEYS = ("status", "need", "kind", "topic", "contract_type", "outcome", "household_size")
"""What a record shows of itself in a person's file, beside its dates."""


def record_facts(record: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A record's facts for a person's file: its dates and a few codes, nothing empty."""
    return [
        (key, value)
        for key, value in record.items()
        if value not in (None, "", [])
        and (key.endswith("_on") or key in FACT_KEYS)
        and isinstance(value, str | int | float)
    ]


def _tally(spec: Field, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The grid's cells with a count above zero, as the service's items."""
    assert spec.tally is not None
    coded, flag, count = spec.tally
    cells = []
    for choice in spec.choices:
        for answer in (None,) if flag is None else (True, False):
            raw = str(values.get(spec.tally_key(choice, answer), "") or "").strip()
            if not raw or raw == "0":
                continue
            item: dict[str, Any] = {coded: choice, count: _scalar(raw, Kind.INTEGER)}
            if flag is not None:
                item[flag] = answer
            cells.append(item)
    return cells


def _items(raw: Any, kind: Kind) -> list[str]:
    if raw is None:
        return []
    values = raw if isinstance(raw, list) else [raw]
    if kind is Kind.TEXTS:
        values = [part for value in values for part in LIST_SEPARATOR.split(str(value))]
    return [str(v).strip() for v in values if str(v).strip()]


def _scalar(text: str, kind: Kind) -> Any:
    try:
        if kind is Kind.INTEGER:
            return int(text)
        if kind is Kind.NUMBER:
            return float(text.replace(",", "."))  # 450,50 as Italians write it
    except ValueError:
        return text
    return text


def forms_of(domain: str, document: Mapping[str, Any]) -> list[Form]:
    """Every write operation of ``document`` as a form, in the document's order."""
    schemas: Mapping[str, Any] = document.get("components", {}).get("schemas", {})
    pickers = _pickers(document.get("paths", {}))
    forms = []
    for path, item in document.get("paths", {}).items():
        for method in WRITE_METHODS:
            operation = item.get(method)
            if operation is None or not path.startswith("/v1/") or not _for_people(operation):
                continue
            form = _form(domain, path, method, operation, schemas)
            fields = tuple(
                replace(f, picker=pickers[f.name][0], picker_by_person=pickers[f.name][1])
                if f.name in pickers and not f.client_chosen
                else f
                for f in form.fields
            )
            forms.append(replace(form, fields=fields))
    return forms


def _pickers(paths: Mapping[str, Any]) -> dict[str, tuple[str, bool]]:
    """For each record id, the list it is chosen from: ``/v1/units/{unit_id}`` read with GET
    beside a ``GET /v1/units`` list names the list of ``unit_id``; (list, takes person_ref)."""
    found: dict[str, tuple[str, bool]] = {}
    for path, item in paths.items():
        match = re.fullmatch(r"(/v1/[a-z-]+)/\{([a-z_]+)\}", path)
        if match is None or "get" not in item:
            continue
        listing = paths.get(match.group(1), {}).get("get")
        if listing is None:
            continue
        params = {p.get("name") for p in listing.get("parameters", [])}
        found[match.group(2)] = (match.group(1), "person_ref" in params)
    return found


DIRECTORY_FIELDS = ("to_partner_id",)
"""Partner ids a form chooses from the network's directory, by name, so that nobody types
an id."""


LABEL_FIELDS = (
    "family_name", "given_names", "name", "title", "company_name", "course_title",
    "municipality_code", "kind", "topic", "contract_type", "need", "status",
)  # fmt: skip
"""What names a record in a picker, in this order (dates follow)."""


def record_label(
    record: Mapping[str, Any], show: Callable[[str, Any], str] = lambda k, v: str(v)
) -> str:
    """How a record reads in a picker: its name or title and a few of its facts, its first
    date, each shown by ``show(key, value)`` (the page's language). A person's names appear
    only in the register's own lists: the other services' records hold none."""
    parts = [(k, record[k]) for k in LABEL_FIELDS if isinstance(record.get(k), str | int)]
    dates = [(k, v) for k, v in record.items() if k.endswith("_on") and isinstance(v, str)]
    return " · ".join(show(k, v) for k, v in [*parts[:3], *dates[:1]]) or "—"


def _for_people(operation: Mapping[str, Any]) -> bool:
    """Made with a person's bearer token (the key store's operations, made by services with
    the store's secret, are not the desk's), with a form's fields (an import's file has a
    page of its own)."""
    if "imports" in (operation.get("tags") or ()):
        return False
    security = operation.get("security")
    return not security or any("HTTPBearer" in scheme for scheme in security)


def _form(
    domain: str, path: str, method: str, operation: Mapping[str, Any], schemas: Mapping[str, Any]
) -> Form:
    fields: list[Field] = [
        Field(p["name"], Kind.TEXT, True, in_path=True)
        for p in operation.get("parameters", [])
        if p.get("in") == "path"
    ]
    unsupported: list[str] = []
    body = (operation.get("requestBody", {}).get("content", {}).get("application/json", {})).get(
        "schema"
    )
    properties: Mapping[str, Any] = {}
    required: set[str] = set()
    if body is not None:
        schema = _resolve(body, schemas)
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
    for name, prop in properties.items():
        if name in NEVER_ASKED:
            continue
        spec = _field(name, prop, name in required, schemas)
        if spec is None:
            unsupported.append(name)
        else:
            fields.append(spec)
    tags = operation.get("tags") or ["other"]
    return Form(
        domain=domain,
        operation_id=str(operation["operationId"]),
        method=method,
        path=path,
        tag=str(tags[0]),
        fields=tuple(fields),
        about_a_person=bool((FROM_THE_REGISTER | {THE_PERSON}) & set(properties)),
        unsupported=tuple(unsupported),
    )


def _resolve(schema: Mapping[str, Any], schemas: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _resolve(schemas[ref.rsplit("/", 1)[1]], schemas)
    return schema


def _alternatives(prop: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The non-null alternatives of a property (``anyOf: [X, null]`` is an optional X)."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") != "null":
            yield option


def _field(
    name: str, prop: Mapping[str, Any], required: bool, schemas: Mapping[str, Any]
) -> Field | None:
    options = list(_alternatives(prop))
    if len(options) != 1:
        return None
    option = options[0]
    enum_name = _enum_name(option, name)
    shape = _resolve(option, schemas)
    client_chosen = CLIENT_CHOSEN in str(prop.get("description", "")).lower()
    common: dict[str, Any] = {"required": required, "client_chosen": client_chosen}
    if "enum" in shape:
        return Field(name, Kind.CHOICE, enum=enum_name, choices=tuple(shape["enum"]), **common)
    kind = shape.get("type")
    if kind == "array":
        items = _resolve(shape.get("items", {}), schemas)
        if "enum" in items:
            enum_name = _enum_name(shape.get("items", {}), name)
            return Field(name, Kind.CHOICES, enum=enum_name, choices=tuple(items["enum"]), **common)
        if items.get("type") == "string":
            return Field(name, Kind.TEXTS, max_length=items.get("maxLength"), **common)
        return _group_field(name, items, schemas, common)
    if kind == "boolean":
        return Field(name, Kind.BOOLEAN, **common)
    if kind in ("integer", "number"):
        return Field(
            name,
            Kind.INTEGER if kind == "integer" else Kind.NUMBER,
            minimum=shape.get("minimum", shape.get("exclusiveMinimum")),
            maximum=shape.get("maximum", shape.get("exclusiveMaximum")),
            **common,
        )
    if kind == "string":
        text_kind = (
            Kind.DATE
            if shape.get("format") == "date"
            else Kind.SECRET
            if shape.get("format") == "password"
            else Kind.TEXT
        )
        return Field(
            name,
            text_kind,
            max_length=shape.get("maxLength"),
            pattern=shape.get("pattern"),
            **common,
        )
    return None


def _group_field(
    name: str, items: Mapping[str, Any], schemas: Mapping[str, Any], common: dict[str, Any]
) -> Field | None:
    """A list of objects the desk can ask for at once: persons of the register (items that
    name a person and nothing else), or a tally (a coded value, maybe a yes/no, a count)."""
    props: Mapping[str, Any] = items.get("properties", {})
    if "person_ref" in props and set(props) <= {"person_ref", "person_identifier"}:
        return Field(name, Kind.PERSONS, **common)
    coded = [k for k, v in props.items() if "enum" in _resolve(v, schemas)]
    flags = [k for k, v in props.items() if _resolve(v, schemas).get("type") == "boolean"]
    counts = [k for k, v in props.items() if _resolve(v, schemas).get("type") == "integer"]
    if len(coded) == 1 and len(flags) <= 1 and len(counts) == 1 and len(props) == (2 + len(flags)):
        enum = _resolve(props[coded[0]], schemas)
        return Field(
            name,
            Kind.TALLY,
            enum=_enum_name(props[coded[0]], coded[0]),
            choices=tuple(enum["enum"]),
            tally=(coded[0], flags[0] if flags else None, counts[0]),
            **common,
        )
    return None


def _enum_name(option: Mapping[str, Any], field_name: str) -> str:
    ref = option.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else field_name
