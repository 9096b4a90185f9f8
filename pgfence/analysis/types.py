"""Column types as Postgres stores them, and which type changes rewrite the table.

ALTER COLUMN … TYPE rewrites the table (and rebuilds its indexes) unless the old type
is binary-coercible to the new one and any length/precision change can be proven not
to alter stored values; Postgres decides that in ATColumnChangeRequiresRewrite() with
the help of each type's planner support function (varchar_support, numeric_support,
timestamp_support, …).
"""

from __future__ import annotations

from dataclasses import dataclass

# Spellings the grammar or users use -> the pg_type.typname Postgres stores.
_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "serial": "int4",
    "serial4": "int4",
    "smallserial": "int2",
    "serial2": "int2",
    "bigserial": "int8",
    "serial8": "int8",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "decimal": "numeric",
    "boolean": "bool",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
    "bit varying": "varbit",
}

# typmod-only changes that the type's support function proves harmless when widened.
_WIDENING_SAFE = {
    "varchar",
    "numeric",
    "timestamp",
    "timestamptz",
    "time",
    "timetz",
    "interval",
    "varbit",
}


@dataclass(frozen=True)
class TypeRef:
    """A column type: its pg_type name, its modifiers and whether it is an array."""

    name: str
    modifiers: tuple[int, ...] = ()
    array: bool = False
    schema: str | None = None  # for user-defined types (enums, domains)

    @classmethod
    def of(
        cls,
        name: str,
        modifiers: tuple[int, ...] = (),
        array: bool = False,
        schema: str | None = None,
    ) -> TypeRef:
        lowered = name.lower()
        if schema in (None, "pg_catalog"):
            return cls(_ALIASES.get(lowered, lowered), modifiers, array, None)
        return cls(lowered, modifiers, array, schema)

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.modifiers))})" if self.modifiers else ""
        prefix = f"{self.schema}." if self.schema else ""
        return f"{prefix}{self.name}{mods}{'[]' if self.array else ''}"


def decode_typmod(typname: str, typmod: int) -> tuple[int, ...]:
    """pg_attribute.atttypmod -> the modifiers as written in SQL."""
    if typmod < 0:
        return ()
    if typname in ("varchar", "bpchar"):
        return (typmod - 4,)
    if typname == "numeric":
        value = typmod - 4
        precision, scale = (value >> 16) & 0xFFFF, value & 0xFFFF
        if scale > 1000:  # negative scales (PG 15+) are stored in 11 bits two's complement
            scale -= 2048
        return (precision, scale)
    if typname in ("bit", "varbit", "timestamp", "timestamptz", "time", "timetz"):
        return (typmod,)
    return (typmod,)


def rewrites_on_type_change(
    old: TypeRef | None, new: TypeRef, *, has_using: bool, utc_session: bool | None = None
) -> bool | None:
    """Does ALTER COLUMN … TYPE from `old` to `new` rewrite the table?

    True / False when the rule is known; None when it depends on what we cannot see
    (the old type is unknown, or the session time zone for timestamp -> timestamptz).
    `has_using`: a USING clause other than the bare column forces a rewrite.
    """
    if has_using:
        return True
    if old is None:
        return None
    if old.array != new.array:
        return True
    if old.array:
        # An array's elements are coerced one by one (ArrayCoerceExpr), which is a rewrite
        # even where the element's own change is not (varchar(255)[] -> varchar(1024)[],
        # varchar[] -> text[]); only dropping the modifier is a relabel. Measured on 14, 18.
        same = old.name == new.name and old.schema == new.schema
        return not (same and (old.modifiers == new.modifiers or not new.modifiers))
    if old.name == new.name and old.schema == new.schema:
        return _typmod_change_rewrites(old, new)
    pair = {old.name, new.name}
    if old.name == "varchar" and new.name == "text":
        return False
    if old.name == "text" and new.name == "varchar":
        return bool(new.modifiers)  # text -> varchar(n) must check every value's length
    if old.name == "cidr" and new.name == "inet":
        return False
    if pair == {"timestamp", "timestamptz"}:
        # PG 12+: no rewrite when the session TimeZone is UTC (the values are identical).
        if _typmod_change_rewrites(
            TypeRef(old.name, old.modifiers), TypeRef(old.name, new.modifiers)
        ):
            return True
        return None if utc_session is None else not utc_session
    return True


def _typmod_change_rewrites(old: TypeRef, new: TypeRef) -> bool:
    if old.modifiers == new.modifiers:
        return False
    if old.name not in _WIDENING_SAFE:
        return True
    if not new.modifiers:  # varchar(n) -> varchar, numeric(p,s) -> numeric: unconstrained
        return False
    if not old.modifiers:  # varchar -> varchar(n): every value must be checked
        return True
    if old.name == "numeric":
        (op, os_), (np_, ns) = _numeric_mods(old.modifiers), _numeric_mods(new.modifiers)
        return not (ns == os_ and np_ >= op)
    return new.modifiers[0] < old.modifiers[0]


def _numeric_mods(mods: tuple[int, ...]) -> tuple[int, int]:
    return (mods[0], mods[1] if len(mods) > 1 else 0)
