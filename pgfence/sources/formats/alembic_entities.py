"""alembic_utils' replaceable entities: what `op.create_entity` / `replace_entity` /
`drop_entity` execute for PGExtension, PGFunction, PGView, PGMaterializedView, PGTrigger,
PGPolicy and PGGrantTable (alembic_utils 0.8), read from the entity's constructor call.

alembic_utils normalises the names it is given (whitespace collapsed, double quotes taken
out, then quoted again where it writes them) and sends the definition text as written,
less a trailing `;`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from pgfence.sources.formats.pyast import Scope, Unknown, bind, last_name

# Each class's constructor parameters, in order.
PARAMS = {
    "PGExtension": ["schema", "signature"],
    "PGFunction": ["schema", "signature", "definition"],
    "PGView": ["schema", "signature", "definition"],
    "PGMaterializedView": ["schema", "signature", "definition", "with_data"],
    "PGTrigger": ["schema", "signature", "definition", "on_entity", "is_constraint"],
    "PGPolicy": ["schema", "signature", "definition", "on_entity"],
    "PGGrantTable": ["schema", "table", "role", "grant", "columns", "with_grant_option"],
}


def is_entity(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and last_name(node.func) in PARAMS


def _unquoted(text: str) -> str:
    return " ".join(text.split()).replace('"', "")


def _quoted(text: str) -> str:
    """alembic_utils' coerce_to_quoted: `a.b` -> `"a"."b"`."""
    return ".".join(f'"{part.strip().strip(chr(34))}"' for part in text.split(".", 1))


def _definition(text: str) -> str:
    return text.strip().rstrip(";").strip()


@dataclass(frozen=True)
class Entity:
    kind: str
    values: dict[str, object]

    def text(self, key: str) -> str:
        value = self.values.get(key)
        if not isinstance(value, str):
            raise Unknown(f"{self.kind}'s {key} is not a string written out")
        return value

    @property
    def schema(self) -> str:
        return _quoted(_unquoted(self.text("schema")))

    @property
    def signature(self) -> str:
        return _unquoted(self.text("signature"))

    @property
    def on_entity(self) -> str:
        on = self.text("on_entity")
        return _unquoted(on if "." in on else "public." + on)


def read(node: ast.Call, scope: Scope) -> Entity:
    kind = last_name(node.func)
    bound = bind(node, PARAMS[kind])
    values: dict[str, object] = {}
    for key, value in bound.items():
        if key == "grant" and isinstance(value, ast.Attribute):
            values[key] = value.attr  # PGGrantTableChoice.SELECT
        else:
            values[key] = scope.value(value)
    return Entity(kind, values)


def create(entity: Entity) -> list[str]:
    e = entity
    if e.kind == "PGExtension":
        return [f'CREATE EXTENSION "{e.signature}" WITH SCHEMA {e.schema}']
    if e.kind == "PGFunction":
        name, rest = e.signature.split("(", 1)
        definition = _definition(e.text("definition"))
        return [f'CREATE FUNCTION {e.schema}."{name.strip()}"({rest} {definition}']
    if e.kind == "PGView":
        return [f'CREATE VIEW {e.schema}."{e.signature}" AS {_definition(e.text("definition"))}']
    if e.kind == "PGMaterializedView":
        return [_materialized(e)]
    if e.kind == "PGTrigger":
        return [_trigger(e)]
    if e.kind == "PGPolicy":
        definition = _definition(e.text("definition"))
        return [f"CREATE POLICY {e.signature} on {e.on_entity} {definition}"]
    return [_grant(e)]


def drop(entity: Entity, cascade: bool) -> list[str]:
    e = entity
    tail = " CASCADE" if cascade else ""
    if e.kind == "PGExtension":
        return [f'DROP EXTENSION "{e.signature}"{tail}']
    if e.kind == "PGFunction":
        name, rest = e.signature.split("(", 1)
        params = rest[: rest.rindex(")")] if ")" in rest else rest
        # alembic_utils cuts each parameter at its `default`
        kept = [p[: len(p.lower().split("default")[0])].strip() for p in params.split(",")]
        return [f'DROP FUNCTION {e.schema}."{name.strip()}"({", ".join(kept)}){tail}']
    if e.kind == "PGView":
        return [f'DROP VIEW {e.schema}."{e.signature}"{tail}']
    if e.kind == "PGMaterializedView":
        return [f'DROP MATERIALIZED VIEW {e.schema}."{e.signature}"{tail}']
    if e.kind == "PGTrigger":
        return [f'DROP TRIGGER "{e.signature}" ON {e.on_entity}{tail}']
    if e.kind == "PGPolicy":
        return [f"DROP POLICY {e.signature} on {e.on_entity}{tail}"]
    return [_revoke(e)]


def replace(entity: Entity) -> list[str]:
    e = entity
    if e.kind == "PGExtension":
        raise Unknown("op.replace_entity of a PGExtension (alembic_utils does not implement it)")
    if e.kind == "PGFunction":
        return ["CREATE OR REPLACE " + create(e)[0].removeprefix("CREATE ")]
    if e.kind == "PGView":
        # alembic_utils falls back to DROP + CREATE when CREATE OR REPLACE fails
        target = f'{e.schema}."{e.signature}"'
        definition = _definition(e.text("definition"))
        body = "\n".join(
            [
                "",
                "        do $$",
                "            begin",
                f"                CREATE OR REPLACE VIEW {target} AS {definition};",
                "",
                "            exception when others then",
                f"                DROP VIEW IF EXISTS {target};",
                "",
                f"                CREATE VIEW {target} AS {definition};",
                "            end;",
                "        $$ language 'plpgsql'",
                "        ",
            ]
        )
        return [body]
    if e.kind == "PGMaterializedView":
        return [f'DROP MATERIALIZED VIEW IF EXISTS {e.schema}."{e.signature}"', _materialized(e)]
    if e.kind == "PGTrigger":
        return [f'DROP TRIGGER IF EXISTS "{e.signature}" ON {e.on_entity}', _trigger(e)]
    if e.kind == "PGPolicy":
        return [f"DROP POLICY IF EXISTS {e.signature} on {e.on_entity}", *create(e)]
    return [_revoke(e), _grant(e)]


def _materialized(e: Entity) -> str:
    definition = _definition(e.text("definition")).rstrip().rstrip(";")
    data = "DATA" if e.values.get("with_data", True) is not False else "NO DATA"
    return f'CREATE MATERIALIZED VIEW {e.schema}."{e.signature}" AS {definition} WITH {data}'


_TRIGGER = re.compile(r"(?P<event>.+?)\sON\s(?P<on>.+?)\s(?P<action>.+)", re.IGNORECASE | re.DOTALL)


def _trigger(e: Entity) -> str:
    match = _TRIGGER.fullmatch(_definition(e.text("definition")))
    if match is None:
        raise Unknown("a PGTrigger definition that is not `<event> ON <table> <action>`")
    table = match["on"].partition(".")[2] or match["on"]
    schema = _unquoted(e.text("schema"))
    constraint = " CONSTRAINT" if e.values.get("is_constraint") else ""
    return (
        f'CREATE{constraint} TRIGGER "{e.signature}" '
        f"{match['event']} ON {schema}.{table} {match['action']}"
    )


def _grant_target(e: Entity) -> str:
    return f"{e.schema}.{_quoted(_unquoted(e.text('table')))}"


def _grant(e: Entity) -> str:
    columns = e.values.get("columns") or []
    if not isinstance(columns, list):
        raise Unknown("PGGrantTable columns that are not a list written out")
    listed = f" ( {', '.join(sorted(str(c) for c in columns))} )" if columns else ""
    option = " WITH GRANT OPTION" if e.values.get("with_grant_option") else ""
    role = _quoted(_unquoted(e.text("role")))
    return f"GRANT {e.text('grant')}{listed} ON {_grant_target(e)} TO {role}{option}"


def _revoke(e: Entity) -> str:
    role = _quoted(_unquoted(e.text("role")))
    return f"REVOKE {e.text('grant')} ON {_grant_target(e)} FROM {role}"
