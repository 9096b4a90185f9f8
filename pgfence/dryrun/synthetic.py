"""Synthetic column values: a deterministic function of a row number, in COPY text format.

Every generated value is `encode(v)` for an ordinal `v` in `[0, capacity)`, and `encode`
is injective: distinct ordinals give distinct values. Uniqueness is then a matter of
choosing distinct ordinals (see seed.py), and a foreign key can name the referenced row's
value by recomputing it from that row's number, without reading it back.

CHECK constraints are read from the parse tree of `pg_get_constraintdef` (pglast, never
regular expressions): comparisons with constants, `IN` / `= ANY (ARRAY[…])`, `BETWEEN`,
`length(col)` bounds, `IS NOT NULL` and one column compared with another. A CHECK outside
these forms is *not modelled*: the rows are still written, and Postgres checks every one
of them; a table whose rows it refuses is reported, never silently skipped or loosened.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pglast import ast, parse_sql
from pglast.enums import A_Expr_Kind, BoolExprType, NullTestType

# Ordinals stay below this prime unless a type holds fewer values: short strings and
# int4-sized numbers, and a cheap bijection (multiplication modulo the capacity).
DEFAULT_CAPACITY = 2**31 - 1
NULL = "\\N"  # NULL in COPY's text format

_DATE_BASE = date(2020, 1, 1).toordinal()
_DATE_MAX = date(9999, 12, 31).toordinal()
_TIMESTAMP_BASE = datetime(2020, 1, 1)
_DATE_SPREAD = 36_525  # non-unique dates spread over a century, not to the year 9999
_UUID_MULTIPLIER = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: a bijection modulo 2**128
_TEXT_PAD = "_"  # not a hexadecimal digit: padding keeps strings distinct

_FAMILIES = {
    "int2": "int",
    "int4": "int",
    "int8": "int",
    "oid": "int",
    "numeric": "numeric",
    "float4": "float",
    "float8": "float",
    "money": "numeric",
    "bool": "bool",
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "name": "text",
    "citext": "text",
    "uuid": "uuid",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamptz",
    "time": "time",
    "timetz": "time",
    "interval": "interval",
    "json": "json",
    "jsonb": "json",
    "xml": "xml",
    "bytea": "bytea",
    "inet": "inet",
    "cidr": "cidr",
    "macaddr": "macaddr",
    "macaddr8": "macaddr8",
    "tsvector": "tsvector",
}
_INT_MAX = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1, "oid": 2**32 - 1}
_INT_MIN = {"int2": -(2**15), "int4": -(2**31), "int8": -(2**63), "oid": 0}
# Families whose values can be compared with each other and shifted by a unit.
_ORDERED = ("int", "numeric", "float", "date", "timestamp", "timestamptz")
_ARRAY_ELEMENTS = ("int", "numeric", "float", "bool", "text", "uuid", "date", "timestamp",
                   "timestamptz", "enum", "inet")  # fmt: skip


@dataclass(frozen=True)
class ColumnType:
    """What the catalog says of a column's type, domains resolved to their base type."""

    label: str  # format_type(), for messages
    base: str  # pg_type.typname of the base type (arrays: _int4 …)
    typtype: str  # b base, e enum, d domain, c composite, r range, …
    typmod: int = -1
    element: str | None = None  # arrays: the element's typname
    element_typtype: str | None = None
    labels: tuple[str, ...] = ()  # enum labels, in order


@dataclass(frozen=True)
class Encoder:
    """Ordinals -> distinct values of one column's type, within its CHECK bounds."""

    family: str
    capacity: int
    base: int = 0  # the value of ordinal 0 (numbers, dates as ordinals, epoch seconds)
    direction: int = 1  # -1: counting down from an upper bound
    shift: int = 0  # added to every value: keeps `a < b` when b copies a's ordinals
    choices: tuple[str, ...] = ()  # IN lists, enum labels
    max_len: int | None = None
    min_len: int = 0
    prefix: str = ""
    scale: int = 0  # numeric: digits after the point (values are whole numbers)
    bits: int = 0  # inet / macaddr: address width
    element: Encoder | None = None  # arrays
    suffix: str = ""  # timestamptz: "+00"
    spread: int | None = None  # capacity used for non-unique values (a realistic range)
    # What the type itself holds (numbers, day ordinals); None: no practical limit.
    minimum: int | None = None
    maximum: int | None = None

    def encode(self, ordinals: Sequence[int]) -> list[str]:
        return _ENCODE[self.family](self, ordinals)

    @property
    def spread_capacity(self) -> int:
        """The ordinals used for values that need not be unique (a realistic range)."""
        return min(self.capacity, self.spread) if self.spread else self.capacity

    def bounded(self, low: int | None, high: int | None) -> Encoder:
        """Values kept within [low, high] and the type's own limits.

        With a lower bound (or none), values count up from the usual start or the bound,
        whichever is higher; with only an upper bound they count down from it.
        """
        lo = _tighter(low, self.minimum, max)
        hi = _tighter(high, self.maximum, min)
        if lo is not None and hi is not None and lo > hi:
            return replace(self, capacity=0)
        if low is None and high is not None:
            top = high if hi is None else hi
            room = self.capacity if lo is None else top - lo + 1
            return replace(self, base=top, direction=-1, capacity=min(self.capacity, room))
        start = self.base if lo is None else max(self.base, lo)
        if hi is not None and start > hi:
            start = hi if lo is None else lo
        room = self.capacity if hi is None else hi - start + 1
        if lo is not None and hi is not None and room < self.capacity and start != lo:
            start, room = lo, hi - lo + 1  # the whole range holds more distinct values
        return replace(self, base=start, direction=1, capacity=max(0, min(self.capacity, room)))


def _tighter(bound: int | None, limit: int | None, pick: Callable[[int, int], int]) -> int | None:
    if bound is None:
        return limit
    return bound if limit is None else pick(bound, limit)


# ---- from a column type to an encoder --------------------------------------------------------


def encoder_for(column: str, ctype: ColumnType) -> Encoder | None:
    """The encoder of a column's type, or None when pgfence cannot make up its values."""
    if ctype.typtype == "e":
        return _choice(ctype.labels) if ctype.labels else None
    if ctype.element is not None:
        element_type = ColumnType(
            ctype.element, ctype.element, ctype.element_typtype or "b", -1, labels=ctype.labels
        )
        element = encoder_for(column, element_type)
        if element is None or element.family not in _ARRAY_ELEMENTS:
            return Encoder("empty_array", 1)
        return Encoder("array", element.capacity, element=element)
    family = _FAMILIES.get(ctype.base)
    if family is None:
        return None
    if family == "int":
        low, high = _INT_MIN[ctype.base], _INT_MAX[ctype.base]
        return Encoder("int", min(high, DEFAULT_CAPACITY), base=1, minimum=low, maximum=high)
    if family == "numeric":
        return _numeric(ctype)
    if family == "float":
        return Encoder("float", DEFAULT_CAPACITY, base=1)
    if family == "text":
        return _text(column, ctype)
    if family == "date":
        return Encoder(
            "date",
            _DATE_MAX - _DATE_BASE,
            base=_DATE_BASE,
            spread=_DATE_SPREAD,
            minimum=1,
            maximum=_DATE_MAX,
        )
    if family in ("timestamp", "timestamptz"):
        suffix = "+00" if family == "timestamptz" else ""
        return Encoder(family, DEFAULT_CAPACITY, suffix=suffix, spread=_DATE_SPREAD * 86_400)
    if family == "time":
        return Encoder("time", 86_400)
    if family == "bool":
        return Encoder("bool", 2)
    if family in ("inet", "cidr"):
        return Encoder(family, DEFAULT_CAPACITY, bits=32)
    if family in ("macaddr", "macaddr8"):
        return Encoder(family, DEFAULT_CAPACITY, bits=48 if family == "macaddr" else 64)
    return Encoder(family, DEFAULT_CAPACITY)


def _numeric(ctype: ColumnType) -> Encoder:
    if ctype.base == "money" or ctype.typmod < 4:
        return Encoder("numeric", DEFAULT_CAPACITY, base=1)
    precision = ((ctype.typmod - 4) >> 16) & 0xFFFF
    scale = (ctype.typmod - 4) & 0xFFFF
    high = 10 ** max(precision - scale, 0) - 1
    if high < 1:
        return Encoder("numeric", 1, base=0, scale=scale, minimum=0, maximum=0)
    return Encoder(
        "numeric", min(high, DEFAULT_CAPACITY), base=1, scale=scale, minimum=-high, maximum=high
    )


def _text(column: str, ctype: ColumnType) -> Encoder:
    max_len = None
    if ctype.base in ("varchar", "bpchar") and ctype.typmod >= 4:
        max_len = ctype.typmod - 4
    elif ctype.base == "name":
        max_len = 63
    prefix = "".join(ch for ch in column.lower() if ch.isalnum())[:12] + "_"
    if max_len is not None and max_len < len(prefix) + 6:
        prefix = ""
    return _text_encoder(prefix, max_len, 0)


def _text_encoder(prefix: str, max_len: int | None, min_len: int) -> Encoder:
    capacity = DEFAULT_CAPACITY
    if max_len is not None:
        capacity = min(capacity, 16 ** max(max_len - len(prefix), 0))
    return Encoder("text", capacity, prefix=prefix, max_len=max_len, min_len=min_len)


def _choice(values: Sequence[str]) -> Encoder:
    return Encoder("choice", len(values), choices=tuple(values))


# ---- encoding --------------------------------------------------------------------------------


def _numbers(enc: Encoder, ordinals: Sequence[int]) -> list[int]:
    base, direction, shift = enc.base, enc.direction, enc.shift
    return [base + direction * v + shift for v in ordinals]


def _encode_int(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    return [str(n) for n in _numbers(enc, ordinals)]


def _encode_numeric(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    if enc.scale:
        tail = "." + "0" * enc.scale
        return [f"{n}{tail}" for n in _numbers(enc, ordinals)]
    return _encode_int(enc, ordinals)


def _encode_text(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    prefix, width = enc.prefix, enc.min_len
    out = [f"{prefix}{v:x}" for v in ordinals]
    if width:
        out = [s.ljust(width, _TEXT_PAD) for s in out]
    return out


def _encode_date(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    return [date.fromordinal(n).isoformat() for n in _numbers(enc, ordinals)]


def _encode_timestamp(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    base, suffix = _TIMESTAMP_BASE, enc.suffix
    return [
        (base + timedelta(seconds=n)).isoformat(sep=" ") + suffix for n in _numbers(enc, ordinals)
    ]


def _encode_time(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    return [f"{v // 3600:02d}:{v // 60 % 60:02d}:{v % 60:02d}" for v in ordinals]


def _encode_uuid(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    out = []
    for v in ordinals:
        h = f"{(v * _UUID_MULTIPLIER + 1) % 2**128:032x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _encode_inet(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    tail = "/32" if enc.family == "cidr" else ""
    return [f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}{tail}" for v in ordinals]


def _encode_mac(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    count = enc.bits // 8
    return [":".join(f"{b:02x}" for b in v.to_bytes(count, "big")) for v in ordinals]


def _encode_array(enc: Encoder, ordinals: Sequence[int]) -> list[str]:
    assert enc.element is not None
    return ['{"' + value + '"}' for value in enc.element.encode(ordinals)]


_ENCODE: dict[str, Callable[[Encoder, Sequence[int]], list[str]]] = {
    "int": _encode_int,
    "numeric": _encode_numeric,
    "float": _encode_int,
    "text": _encode_text,
    "choice": lambda e, vs: [e.choices[v % len(e.choices)] for v in vs],
    "bool": lambda e, vs: ["t" if v % 2 else "f" for v in vs],
    "uuid": _encode_uuid,
    "date": _encode_date,
    "timestamp": _encode_timestamp,
    "timestamptz": _encode_timestamp,
    "time": _encode_time,
    "interval": lambda e, vs: [f"{v} seconds" for v in vs],
    "json": lambda e, vs: [f'{{"n": {v}}}' for v in vs],
    "xml": lambda e, vs: [f"<n>{v}</n>" for v in vs],
    "bytea": lambda e, vs: [f"\\\\x{v:08x}" for v in vs],
    "inet": _encode_inet,
    "cidr": _encode_inet,
    "macaddr": _encode_mac,
    "macaddr8": _encode_mac,
    "tsvector": lambda e, vs: [f"w{v:x}" for v in vs],
    "array": _encode_array,
    "empty_array": lambda e, vs: ["{}"] * len(vs),
}


def permute(ordinals: range | Sequence[int], capacity: int) -> list[int]:
    """A bijection of [0, capacity) (i * a + c mod capacity, a prime to capacity), so that
    distinct rows get distinct values in an order unlike the row order, as real data has."""
    if capacity <= 1:
        return [0] * len(ordinals)
    a = _coprime_multiplier(capacity)
    c = capacity // 3
    return [(i * a + c) % capacity for i in ordinals]


def _coprime_multiplier(capacity: int) -> int:
    for a in (48_271, 69_621, 40_692, 16_807, 2_147_483_629):
        if math.gcd(a, capacity) == 1:
            return a % capacity or 1
    return 1


# ---- CHECK constraints -------------------------------------------------------------------------


@dataclass
class ColumnRules:
    """What the CHECK constraints say of one column."""

    low: Any = None  # inclusive bounds, in the constant's own type (Decimal, date, datetime)
    high: Any = None
    choices: tuple[str, ...] | None = None
    min_len: int = 0
    max_len: int | None = None
    not_null: bool = False
    not_equal: list[Any] = field(default_factory=list)


@dataclass
class CheckModel:
    """The CHECK constraints of one table, as rules per column."""

    columns: dict[str, ColumnRules] = field(default_factory=dict)
    # (smaller, larger, strict): CHECK (a < b) and the like, between two columns.
    orderings: list[tuple[str, str, bool]] = field(default_factory=list)
    unmodelled: list[str] = field(default_factory=list)  # constraint names

    def rules(self, column: str) -> ColumnRules:
        return self.columns.setdefault(column, ColumnRules())


def read_check(
    model: CheckModel, name: str, definition: str, value_column: str | None = None
) -> None:
    """Add one CHECK (its pg_get_constraintdef text) to `model`.

    `value_column`: for a domain's CHECK, the column that VALUE stands for.
    """
    body = definition.strip()
    if not body.upper().startswith("CHECK"):
        return
    body = body[len("CHECK") :].strip()
    for tail in (" NOT VALID", " NO INHERIT"):
        body = body.removesuffix(tail)
    try:
        expr = parse_sql("SELECT " + body)[0].stmt.targetList[0].val
    except Exception:  # pglast raises its own ParseError; any failure: not modelled
        model.unmodelled.append(name)
        return
    draft = CheckModel()
    if _read(draft, expr, value_column):
        for column, rules in draft.columns.items():
            _merge(model.rules(column), rules)
        model.orderings.extend(draft.orderings)
    else:
        model.unmodelled.append(name)


def _merge(into: ColumnRules, rules: ColumnRules) -> None:
    if rules.low is not None:
        into.low = rules.low if into.low is None else max(into.low, rules.low)
    if rules.high is not None:
        into.high = rules.high if into.high is None else min(into.high, rules.high)
    if rules.choices is not None:
        into.choices = (
            rules.choices
            if into.choices is None
            else tuple(c for c in into.choices if c in rules.choices)
        )
    into.min_len = max(into.min_len, rules.min_len)
    if rules.max_len is not None:
        into.max_len = rules.max_len if into.max_len is None else min(into.max_len, rules.max_len)
    into.not_null = into.not_null or rules.not_null
    into.not_equal.extend(rules.not_equal)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "<>": "<>"}


def _read(model: CheckModel, node: Any, value_column: str | None) -> bool:
    """True when `node` is a conjunction of forms pgfence models; fills `model`."""
    if isinstance(node, ast.BoolExpr):
        if node.boolop is not BoolExprType.AND_EXPR:
            return False
        return all(_read(model, arg, value_column) for arg in node.args)
    if isinstance(node, ast.NullTest):
        column = _column(node.arg, value_column)
        if column is None or node.nulltesttype is not NullTestType.IS_NOT_NULL:
            return False
        model.rules(column).not_null = True
        return True
    if isinstance(node, ast.A_Expr):
        return _read_expr(model, node, value_column)
    return False


def _read_expr(model: CheckModel, node: ast.A_Expr, value_column: str | None) -> bool:
    op = node.name[-1].sval if node.name else None
    if node.kind is A_Expr_Kind.AEXPR_OP_ANY and op == "=":
        column = _column(node.lexpr, value_column)
        values = _array_constants(node.rexpr)
        if column is None or values is None:
            return False
        model.rules(column).choices = tuple(str(v) for v in values)
        return True
    if node.kind is A_Expr_Kind.AEXPR_IN and op == "=":
        column = _column(node.lexpr, value_column)
        values = [_constant(item) for item in node.rexpr]
        if column is None or any(v is None for v in values):
            return False
        model.rules(column).choices = tuple(str(v) for v in values)
        return True
    if node.kind is not A_Expr_Kind.AEXPR_OP or op not in _FLIP:
        return False
    left: Any = node.lexpr
    right: Any = node.rexpr
    if _constant(left) is not None and _constant(right) is None:
        left, right, op = right, left, _FLIP[op]
    value = _constant(right)
    column = _column(left, value_column)
    if column is not None and value is not None:
        return _compare(model.rules(column), op, value)
    measured = _length_of(left, value_column)
    if measured is not None and isinstance(value, Decimal) and value == int(value):
        return _length(model.rules(measured), op, int(value))
    other = _column(right, value_column)
    if column is not None and other is not None and op in ("<", "<=", ">", ">="):
        smaller, larger = (column, other) if op in ("<", "<=") else (other, column)
        model.orderings.append((smaller, larger, op in ("<", ">")))
        return True
    return False


def _compare(rules: ColumnRules, op: str, value: Any) -> bool:
    if op == "=":
        rules.choices = (str(value),)
    elif op == "<>":
        rules.not_equal.append(value)
    elif isinstance(value, str):
        return False  # text ordering depends on the collation: not modelled
    elif op in (">", ">="):
        low = _step(value, op == ">", up=True)
        rules.low = low if rules.low is None else max(rules.low, low)
    else:
        high = _step(value, op == "<", up=False)
        rules.high = high if rules.high is None else min(rules.high, high)
    return True


def _step(value: Any, strict: bool, *, up: bool) -> Any:
    """The inclusive bound of `> value` (or `< value`) for whole numbers, days, seconds."""
    sign = 1 if up else -1
    if isinstance(value, Decimal):
        whole = math.floor(value) if up else math.ceil(value)
        if whole != value:
            return Decimal(whole + sign)
        return Decimal(whole + sign) if strict else Decimal(whole)
    if isinstance(value, datetime):
        return value + timedelta(seconds=sign) if strict else value
    if isinstance(value, date):
        return value + timedelta(days=sign) if strict else value
    return value


def _length(rules: ColumnRules, op: str, n: int) -> bool:
    if op in (">", ">="):
        rules.min_len = max(rules.min_len, n + (op == ">"))
    elif op in ("<", "<="):
        limit = n - (op == "<")
        rules.max_len = limit if rules.max_len is None else min(rules.max_len, limit)
    else:
        return False
    return True


def _column(node: Any, value_column: str | None) -> str | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ColumnRef) and len(node.fields) == 1:
        field_ = node.fields[0]
        if isinstance(field_, ast.String):
            if value_column is not None and field_.sval == "value":
                return value_column
            return str(field_.sval)
    return None


def _length_of(node: Any, value_column: str | None) -> str | None:
    if isinstance(node, ast.FuncCall) and node.args and len(node.args) == 1:
        name = node.funcname[-1].sval
        if name in ("length", "char_length", "character_length"):
            return _column(node.args[0], value_column)
    return None


def _constant(node: Any) -> Any:
    """A constant's value: Decimal for numbers, date / datetime for typed literals, str."""
    type_name = None
    while isinstance(node, ast.TypeCast):
        type_name = type_name or node.typeName.names[-1].sval
        node = node.arg
    if not isinstance(node, ast.A_Const) or node.isnull:
        return None
    val = node.val
    if isinstance(val, ast.Integer):
        return Decimal(val.ival)
    if isinstance(val, ast.Float):
        try:
            return Decimal(val.fval)
        except InvalidOperation:
            return None
    if isinstance(val, ast.Boolean):
        return "true" if val.boolval else "false"
    if isinstance(val, ast.String):
        return _typed_literal(str(val.sval), type_name)
    return None


def _typed_literal(text: str, type_name: str | None) -> Any:
    try:
        if type_name == "date":
            return date.fromisoformat(text)
        if type_name in ("timestamp", "timestamptz"):
            parsed = datetime.fromisoformat(text)
            if parsed.tzinfo is not None:  # to UTC, the throwaway server's TimeZone
                parsed = (parsed - (parsed.utcoffset() or timedelta())).replace(tzinfo=None)
            return parsed
        if type_name in ("numeric", "int4", "int8", "int2", "float8", "float4"):
            return Decimal(text)
    except ValueError:
        return None
    return text


def _array_constants(node: Any) -> list[Any] | None:
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if not isinstance(node, ast.A_ArrayExpr) or not node.elements:
        return None
    values = [_constant(element) for element in node.elements]
    return None if any(v is None for v in values) else values


# ---- rules applied to an encoder -----------------------------------------------------------------


def constrained(encoder: Encoder, rules: ColumnRules | None) -> Encoder | None:
    """The encoder with the column's CHECK rules applied; None if they cannot be met."""
    if rules is None:
        return encoder
    if rules.choices is not None:
        choices = tuple(c for c in rules.choices if c not in {str(v) for v in rules.not_equal})
        return _choice(choices) if choices else None
    if encoder.family == "text":
        return _constrained_text(encoder, rules)
    if encoder.family in ("int", "numeric", "float"):
        return _constrained_number(encoder, rules)
    if encoder.family in ("date", "timestamp", "timestamptz"):
        return _constrained_time(encoder, rules)
    if rules.low is not None or rules.high is not None or rules.min_len or rules.max_len:
        return None
    return encoder


def _constrained_text(encoder: Encoder, rules: ColumnRules) -> Encoder | None:
    if rules.low is not None or rules.high is not None:
        return None
    if any(v != "" for v in rules.not_equal):
        return None  # the value could be one of ours: let Postgres judge (not modelled)
    max_len = encoder.max_len
    if rules.max_len is not None:
        max_len = rules.max_len if max_len is None else min(max_len, rules.max_len)
    min_len = max(encoder.min_len, rules.min_len)
    if max_len is not None and (max_len < 1 or min_len > max_len):
        return None
    prefix = encoder.prefix
    if max_len is not None and max_len < len(prefix) + 6:
        prefix = ""
    return _text_encoder(prefix, max_len, min_len)


def _constrained_number(encoder: Encoder, rules: ColumnRules) -> Encoder | None:
    if rules.min_len or rules.max_len is not None:
        return None
    low = None if rules.low is None else math.ceil(rules.low)
    high = None if rules.high is None else math.floor(rules.high)
    out = encoder.bounded(low, high)
    for value in rules.not_equal:
        if not isinstance(value, Decimal):
            return None
        first = out.base
        last = out.base + out.direction * (out.capacity - 1)
        if min(first, last) <= value <= max(first, last):
            if out.direction == 1 and value == first:
                out = replace(out, base=first + 1, capacity=out.capacity - 1)
            elif out.direction == -1 and value == first:
                out = replace(out, base=first - 1, capacity=out.capacity - 1)
            else:
                return None
    return out if out.capacity > 0 else None


def _constrained_time(encoder: Encoder, rules: ColumnRules) -> Encoder | None:
    if rules.min_len or rules.max_len is not None or rules.not_equal:
        return None
    to_number = _as_day if encoder.family == "date" else _as_second
    try:
        low = None if rules.low is None else to_number(rules.low)
        high = None if rules.high is None else to_number(rules.high)
    except (TypeError, ValueError):
        return None
    out = encoder.bounded(low, high)
    return out if out.capacity > 0 else None


def _as_day(value: Any) -> int:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise TypeError("not a date")
    return value.toordinal()


def _as_second(value: Any) -> int:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        raise TypeError("not a timestamp")
    return int((value - _TIMESTAMP_BASE).total_seconds())


def orderable(encoder: Encoder) -> bool:
    return encoder.family in _ORDERED
