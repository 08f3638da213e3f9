"""Kanbert's `filter` (kanbert.md §3): JSON, tree, form and DSL parsed to one tree, compiled to a record predicate."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, Literal, TypeAlias

from .base import parse_utc


class FilterError(ValueError):
    """A filter that cannot be parsed or names an unknown field or operator (the API answers 400)."""


@dataclass(frozen=True)
class Condition:
    """`field op value`; `sub` is the nested filter of a relation operator (`companies any (...)`)."""

    field: str
    op: str
    value: Any = None
    sub: Node | None = None


@dataclass(frozen=True)
class Group:
    """Conditions joined by `and` or `or`."""

    conj: Literal["and", "or"]
    items: tuple[Node, ...]


Node: TypeAlias = Condition | Group
Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]

_SYMBOLS = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_ALIASES = {"neq": "ne", "notin": "nin", "isnotnull": "notnull", "le": "lte", "ge": "gte"}
_NO_VALUE = frozenset({"isnull", "notnull"})
_RELATION_OPS = frozenset({"any", "none", "all"})


def normalize_op(op: str) -> str:
    """The canonical name of an operator: case-insensitive, symbols and synonyms mapped (`!=`, `neq` → `ne`)."""
    op = op.strip().lower()
    op = _SYMBOLS.get(op, op)
    return _ALIASES.get(op, op)


# -- parsing ------------------------------------------------------------------------------------------------------

_FORM_KEY = re.compile(r"filter\[(\d+)\]\[(field|op|value)\](?:\[(\d*)\])?")


def parse_filter(query: Mapping[str, Sequence[str]]) -> Node | None:
    """The filter of a request's query, whichever of the four formats it uses; None without one.

    Raises:
        FilterError: When the filter cannot be parsed.
    """
    form_keys = [k for k in query if k.startswith("filter[")]
    text = query["filter"][-1] if query.get("filter") else ""
    if form_keys and text.strip():
        raise FilterError("Use either filter=… or filter[n][…]=…, not both.")
    if form_keys:
        return parse_form(query)
    text = text.strip()
    if not text:
        return None
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise FilterError(f"The filter is not valid JSON: {exc}.") from exc
        return parse_json(data)
    return parse_dsl(text)


def parse_json(data: Any) -> Node:
    """A JSON filter: an array of conditions (AND) or an `{"and": [...]}` / `{"or": [...]}` tree, nested.

    Raises:
        FilterError: When `data` has neither shape.
    """
    if isinstance(data, list):
        return Group("and", tuple(parse_json(item) for item in data))
    if not isinstance(data, dict):
        raise FilterError("A JSON filter is an array of conditions or an and/or object.")
    keys = {k.lower() for k in data}
    if keys in ({"and"}, {"or"}):
        ((conj, items),) = data.items()
        if not isinstance(items, list):
            raise FilterError(f'"{conj}" takes an array.')
        return Group("and" if conj.lower() == "and" else "or", tuple(parse_json(item) for item in items))
    if "field" not in data or "op" not in data:
        raise FilterError('A condition needs "field" and "op".')
    if not isinstance(data["field"], str) or not isinstance(data["op"], str):
        raise FilterError('"field" and "op" are strings.')
    op = normalize_op(data["op"])
    value = data.get("value")
    if op in _RELATION_OPS and value is not None:
        return Condition(data["field"], op, None, parse_json(value))
    return Condition(data["field"], op, value)


def parse_form(query: Mapping[str, Sequence[str]]) -> Node:
    """Form-encoded conditions, `filter[0][field]=…&filter[0][op]=…&filter[0][value]=…` (AND).

    A list value is `filter[0][value][]=a&filter[0][value][]=b` (or indexed `[0]`, `[1]`).

    Raises:
        FilterError: On a key of another shape or a condition without field or op.
    """
    parts: dict[int, dict[str, Any]] = {}
    for key, values in query.items():
        if not key.startswith("filter["):
            continue
        match = _FORM_KEY.fullmatch(key)
        if match is None:
            raise FilterError(f'Unsupported filter parameter "{key}".')
        index, name, list_index = int(match[1]), match[2], match[3]
        entry = parts.setdefault(index, {})
        if list_index is not None:
            entry.setdefault(name, []).extend(values)
        else:
            entry[name] = values[-1]
    conditions = []
    for index in sorted(parts):
        entry = parts[index]
        if "field" not in entry or "op" not in entry or isinstance(entry["field"], list):
            raise FilterError(f"filter[{index}] needs [field] and [op].")
        conditions.append(Condition(entry["field"], normalize_op(entry["op"]), entry.get("value")))
    return Group("and", tuple(conditions))


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<symbol>!=|<>|<=|>=|==|=|<|>|\(|\)|\[|\]|,)
      | (?P<word>[^\s()\[\],'"=!<>]+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "symbol", "word"
    text: str
    pos: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in words


class _DslParser:
    """Recursive descent: or-expression of and-expressions of (parenthesised expression | condition)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[_Token] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                if not text[pos:].strip():
                    break
                raise FilterError(f"Cannot read the filter at position {pos}: {text[pos : pos + 20]!r}.")
            kind = match.lastgroup or "word"
            self.tokens.append(_Token(kind, match[kind], match.start(kind)))
            pos = match.end()
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self, expected: str = "more filter") -> _Token:
        token = self.peek()
        if token is None:
            raise FilterError(f"The filter ends where {expected} was expected.")
        self.i += 1
        return token

    def expect_symbol(self, symbol: str) -> None:
        token = self.next(f'"{symbol}"')
        if token.kind != "symbol" or token.text != symbol:
            raise FilterError(f'Expected "{symbol}" at position {token.pos}, found {token.text!r}.')

    def parse(self) -> Node:
        node = self.expression()
        token = self.peek()
        if token is not None:
            raise FilterError(f"Unexpected {token.text!r} at position {token.pos}.")
        return node

    def expression(self) -> Node:
        items = [self.conjunction()]
        while (token := self.peek()) is not None and token.is_word("or"):
            self.i += 1
            items.append(self.conjunction())
        return items[0] if len(items) == 1 else Group("or", tuple(items))

    def conjunction(self) -> Node:
        items = [self.factor()]
        while (token := self.peek()) is not None and token.is_word("and"):
            self.i += 1
            items.append(self.factor())
        return items[0] if len(items) == 1 else Group("and", tuple(items))

    def factor(self) -> Node:
        token = self.next("a condition")
        if token.kind == "symbol" and token.text == "(":
            node = self.expression()
            self.expect_symbol(")")
            return node
        if token.kind != "word":
            raise FilterError(f"Expected a field name at position {token.pos}, found {token.text!r}.")
        return self.condition(token.text)

    def condition(self, field: str) -> Condition:
        token = self.next(f'an operator after "{field}"')
        if token.kind == "symbol":
            if token.text not in _SYMBOLS:
                raise FilterError(f"Expected an operator at position {token.pos}, found {token.text!r}.")
            op = _SYMBOLS[token.text]
        elif token.is_word("is"):
            negate = (after := self.peek()) is not None and after.is_word("not")
            self.i += negate
            if not self.next('"null"').is_word("null"):
                raise FilterError(f'Expected "null" after "is" at position {token.pos}.')
            op = "notnull" if negate else "isnull"
        elif token.is_word("not"):
            word = self.next('"in" or "like"')
            if not word.is_word("in", "like", "contains"):
                raise FilterError(f'Unknown operator "not {word.text}".')
            op = {"in": "nin", "like": "notlike", "contains": "notcontains"}[word.text.lower()]
        elif token.kind == "word":
            op = normalize_op(token.text)
        else:
            raise FilterError(f"Expected an operator at position {token.pos}, found {token.text!r}.")
        if op in _NO_VALUE:
            return Condition(field, op)
        if op in _RELATION_OPS:
            after = self.peek()
            if after is not None and after.kind == "symbol" and after.text == "(":
                self.i += 1
                sub = self.expression()
                self.expect_symbol(")")
                return Condition(field, op, None, sub)
            return Condition(field, op)
        return Condition(field, op, self.value())

    def value(self) -> Any:
        token = self.next("a value")
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "symbol" and token.text == "[":
            items: list[Any] = []
            while not ((after := self.peek()) is not None and after.kind == "symbol" and after.text == "]"):
                items.append(self.value())
                after = self.peek()
                if after is not None and after.kind == "symbol" and after.text == ",":
                    self.i += 1
            self.i += 1
            return items
        if token.kind != "word":
            raise FilterError(f"Expected a value at position {token.pos}, found {token.text!r}.")
        lowered = token.text.lower()
        if lowered in ("null", "true", "false"):
            return {"null": None, "true": True, "false": False}[lowered]
        if re.fullmatch(r"-?\d+", token.text):
            return int(token.text)
        if re.fullmatch(r"-?\d+\.\d+", token.text):
            return float(token.text)
        return token.text


def parse_dsl(text: str) -> Node:
    """The string DSL, e.g. `updated_at gte "2024-01-01T00:00:00Z" and (first_name contains 'Il' or x is null)`.

    Raises:
        FilterError: On a syntax error.
    """
    return _DslParser(text).parse()


# -- compiling ----------------------------------------------------------------------------------------------------


class Kind(Enum):
    """Filter field types (kanbert.md §3 "Operators by field type")."""

    STRING = "string"
    ID = "id"
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    SCALAR = "custom field"
    ARCHIVED = "archived"
    RELATION = "relation"
    COUNT = "count"


_ID_OPS = frozenset({"eq", "ne", "in", "nin", "isnull", "notnull"})
_STRING_OPS = _ID_OPS | {"contains", "notcontains", "like", "notlike", "startswith", "endswith"}
_ORDER_OPS = frozenset({"lt", "lte", "gt", "gte"})
OPERATORS: Mapping[Kind, frozenset[str]] = {
    Kind.STRING: _STRING_OPS,
    Kind.ID: _ID_OPS,
    Kind.DATE: _ID_OPS | _ORDER_OPS,
    Kind.DATETIME: _ID_OPS | _ORDER_OPS,
    Kind.BOOL: frozenset({"eq", "ne", "isnull", "notnull"}),
    Kind.SCALAR: _STRING_OPS | _ORDER_OPS,
    Kind.ARCHIVED: frozenset({"eq"}),
    Kind.RELATION: _RELATION_OPS,
    Kind.COUNT: frozenset({"eq", "ne"}) | _ORDER_OPS,
}


@dataclass(frozen=True)
class Field:
    """A filterable field: its type, the dotted path of its value in the record JSON, a relation's own fields.

    A schema key ending in `.*` (e.g. `custom_fields.*`) accepts any sub-name, read from `path.<sub-name>`.
    """

    kind: Kind
    path: str
    relation: Mapping[str, Field] | None = None


Schema = Mapping[str, Field]


@dataclass(frozen=True)
class FilterContext:
    """What special values resolve against: `now`/`today`… from `now`, `me.id` to `me_id`."""

    now: datetime
    me_id: str | None = None


def dig(record: Any, path: str) -> Any:
    """The value at a dotted path of nested dicts (None where a step is missing or null)."""
    for step in path.split("."):
        if not isinstance(record, Mapping):
            return None
        record = record.get(step)
    return record


def compile_filter(node: Node | None, schema: Schema, ctx: FilterContext) -> Predicate:
    """A predicate for `node` over records described by `schema`.

    When the schema has an `archived` field that the filter does not use, `archived eq without` is added.

    Raises:
        FilterError: On an unknown field, an operator its type does not take, or a bad value.
    """
    predicate = _compile(node, schema, ctx) if node is not None else _always
    archived = next((name for name, f in schema.items() if f.kind is Kind.ARCHIVED), None)
    if archived is None or (node is not None and archived in fields_of(node)):
        return predicate
    without = _compile(Condition(archived, "eq", "without"), schema, ctx)
    return lambda r: without(r) and predicate(r)


def _always(record: Record) -> bool:
    return True


def fields_of(node: Node) -> set[str]:
    """Every field name a filter mentions."""
    if isinstance(node, Group):
        return set().union(*(fields_of(item) for item in node.items))
    return {node.field}


def _compile(node: Node, schema: Schema, ctx: FilterContext) -> Predicate:
    if isinstance(node, Group):
        parts = [_compile(item, schema, ctx) for item in node.items]
        if node.conj == "and":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)
    return _condition(node, schema, ctx)


def _resolve(name: str, schema: Schema) -> tuple[Field, str | None]:
    """The field `name` refers to; for `relation.sub` the relation and "sub"."""
    if name in schema:
        return schema[name], None
    head, _, rest = name.partition(".")
    field = schema.get(head)
    if rest and field is not None and field.kind is Kind.RELATION:
        return field, rest
    wildcard = schema.get(head + ".*")
    if rest and wildcard is not None:
        return Field(wildcard.kind, f"{wildcard.path}.{rest}"), None
    raise FilterError(f'Filter field "{name}" is not allowed.')


def _condition(cond: Condition, schema: Schema, ctx: FilterContext) -> Predicate:
    field, sub_name = _resolve(cond.field, schema)
    if sub_name is not None:  # relation.sub_field: true when any related record matches
        if sub_name == "count":
            count = _compile_value(Field(Kind.COUNT, field.path), cond, ctx)
            return lambda r: count({"n": len(dig(r, field.path) or [])})
        inner = _condition(Condition(sub_name, cond.op, cond.value, cond.sub), field.relation or {}, ctx)
        return lambda r: any(inner(x) for x in dig(r, field.path) or [])
    if cond.op not in OPERATORS[field.kind]:
        raise FilterError(f'Filter operator "{cond.op}" is not allowed for field "{cond.field}".')
    if field.kind is Kind.RELATION:
        inner = _compile(cond.sub, field.relation or {}, ctx) if cond.sub is not None else _always
        if cond.op == "any":
            return lambda r: any(inner(x) for x in dig(r, field.path) or [])
        if cond.op == "none":
            return lambda r: not any(inner(x) for x in dig(r, field.path) or [])
        return lambda r: all(inner(x) for x in dig(r, field.path) or [])
    return _compile_value(field, cond, ctx)


def _compile_value(field: Field, cond: Condition, ctx: FilterContext) -> Predicate:
    op, value, path = cond.op, cond.value, field.path
    if field.kind is Kind.COUNT:
        path = "n"
    if op == "isnull" or (op == "eq" and value is None):
        return lambda r: dig(r, path) is None
    if op == "notnull" or (op == "ne" and value is None):
        return lambda r: dig(r, path) is not None
    if field.kind is Kind.ARCHIVED:
        mode = str(value).lower()
        if mode not in ("with", "only", "without"):
            raise FilterError(f'"archived" is one of with, only, without; got "{value}".')
        if mode == "with":
            return _always
        return lambda r: (dig(r, path) is not None) == (mode == "only")
    test = _value_test(field, cond, ctx)
    return lambda r: (v := dig(r, path)) is not None and test(v)


def _as_list(cond: Condition) -> list[Any]:
    value = cond.value
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")]
    if not isinstance(value, list):
        raise FilterError(f'Operator "{cond.op}" on "{cond.field}" takes a list.')
    return value


def _value_test(field: Field, cond: Condition, ctx: FilterContext) -> Callable[[Any], bool]:
    """A test of a non-null record value against the condition (SQL-like: null never matches)."""
    op = cond.op
    if op in ("in", "nin"):
        tests = [_value_test(field, Condition(cond.field, "eq", v), ctx) for v in _as_list(cond)]
        if op == "in":
            return lambda v: any(t(v) for t in tests)
        return lambda v: not any(t(v) for t in tests)
    if isinstance(cond.value, list | dict):
        raise FilterError(f'Operator "{op}" on "{cond.field}" takes a single value.')
    if op == "ne":
        equal = _value_test(field, Condition(cond.field, "eq", cond.value), ctx)
        return lambda v: not equal(v)
    if field.kind in (Kind.DATE, Kind.DATETIME):
        return _time_test(field, cond, ctx)
    if field.kind is Kind.BOOL:
        wanted = _as_bool(cond)
        return lambda v: bool(v) == wanted
    if field.kind is Kind.COUNT:
        if not isinstance(cond.value, int) and not (isinstance(cond.value, str) and cond.value.isdigit()):
            raise FilterError(f'"{cond.field}" compares with a whole number.')
        return _order_test(op, int(cond.value))
    if field.kind is Kind.ID:
        wanted_id = ctx.me_id if cond.value == "me.id" else str(cond.value)
        return lambda v: str(v) == wanted_id
    return _text_test(field, cond)


def _text_test(field: Field, cond: Condition) -> Callable[[Any], bool]:
    """String (case-insensitive, like a `_ci` collation) and custom-field tests."""
    op, value = cond.op, cond.value
    if field.kind is Kind.SCALAR and op in _ORDER_OPS:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _order_test(op, str(value).casefold(), text=True)
        return _order_test(op, float(value))
    wanted = _fold(value)
    if op == "eq":
        return lambda v: _fold(v) == wanted
    if op in ("contains", "notcontains"):
        negate = op == "notcontains"
        return lambda v: (wanted in _fold(v)) != negate
    if op == "startswith":
        return lambda v: _fold(v).startswith(wanted)
    if op == "endswith":
        return lambda v: _fold(v).endswith(wanted)
    if op in ("like", "notlike"):
        pattern = re.compile("".join({"%": ".*", "_": "."}.get(c, re.escape(c)) for c in wanted), re.DOTALL)
        negate = op == "notlike"
        return lambda v: (pattern.fullmatch(_fold(v)) is not None) != negate
    raise FilterError(f'Filter operator "{op}" is not allowed for field "{cond.field}".')  # pragma: no cover


def _fold(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"  # how a boolean custom field compares as text
    return str(value).casefold()


def _as_bool(cond: Condition) -> bool:
    value = cond.value
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise FilterError(f'"{cond.field}" compares with true or false, not "{value}".')


def _order_test(op: str, bound: Any, *, text: bool = False) -> Callable[[Any], bool]:
    def key(v: Any) -> Any:
        if text:
            return _fold(v)
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    tests: dict[str, Callable[[Any], bool]] = {
        "eq": lambda k: k == bound,
        "lt": lambda k: k < bound,
        "lte": lambda k: k <= bound,
        "gt": lambda k: k > bound,
        "gte": lambda k: k >= bound,
    }
    test = tests[op]
    return lambda v: (k := key(v)) is not None and test(k)


@dataclass(frozen=True)
class _Span:
    """A filter time value: an instant (end inclusive, start == end) or a whole day [start, end)."""

    start: datetime
    end: datetime
    end_inclusive: bool


_RELATIVE_DAY = re.compile(r"today([+-]\d+)d")


def _time_value(cond: Condition, ctx: FilterContext, *, as_day: bool) -> _Span:
    value = cond.value
    if not isinstance(value, str):
        raise FilterError(f'"{cond.field}" compares with a date or date-time string, not {value!r}.')
    lowered = value.strip().lower()
    today = ctx.now.astimezone(UTC).date()
    day: date | None = None
    if lowered == "now":
        instant = ctx.now.astimezone(UTC)
        if not as_day:
            return _Span(instant, instant, True)
        day = instant.date()
    elif lowered == "today":
        day = today
    elif match := _RELATIVE_DAY.fullmatch(lowered):
        day = today + timedelta(days=int(match[1]))
    elif lowered in ("sow", "eow"):
        day = today - timedelta(days=today.weekday()) + timedelta(days=6 if lowered == "eow" else 0)
    elif lowered in ("som", "eom"):
        day = today.replace(day=1)
        if lowered == "eom":
            day = (day + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", lowered):
        try:
            day = date.fromisoformat(lowered)
        except ValueError as exc:
            raise FilterError(f'Invalid date "{value}" for field "{cond.field}".') from exc
    else:
        try:
            instant = parse_utc(value)
        except ValueError as exc:
            raise FilterError(f'Invalid date-time "{value}" for field "{cond.field}".') from exc
        if not as_day:
            return _Span(instant, instant, True)
        day = instant.date()
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return _Span(start, start + timedelta(days=1), False)


def _time_test(field: Field, cond: Condition, ctx: FilterContext) -> Callable[[Any], bool]:
    """Compare parsed times, never strings; a whole-day value (a date, `today`…) is the interval of that day."""
    span = _time_value(cond, ctx, as_day=field.kind is Kind.DATE)

    def below_end(t: datetime) -> bool:
        return t <= span.end if span.end_inclusive else t < span.end

    tests: dict[str, Callable[[datetime], bool]] = {
        "eq": lambda t: span.start <= t and below_end(t),
        "lt": lambda t: t < span.start,
        "gte": lambda t: t >= span.start,
        "lte": below_end,
        "gt": lambda t: not below_end(t),
    }
    test = tests[cond.op]

    def check(v: Any) -> bool:
        try:
            return test(parse_utc(str(v)))
        except ValueError:
            return False

    return check
