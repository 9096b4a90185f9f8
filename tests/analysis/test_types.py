import pytest

from pgfence.analysis.expressions import Volatility, volatility
from pgfence.analysis.types import TypeRef, decode_typmod, rewrites_on_type_change
from pgfence.sources.sql import parse_one


def t(name, *mods):
    return TypeRef.of(name, tuple(mods))


@pytest.mark.parametrize(
    ("old", "new", "rewrites"),
    [
        (t("varchar", 50), t("varchar", 100), False),
        (t("varchar", 50), t("varchar"), False),
        (t("varchar", 50), t("text"), False),
        (t("text"), t("varchar"), False),
        (t("varchar", 50), t("varchar", 20), True),
        (t("text"), t("varchar", 100), True),
        (t("varchar"), t("varchar", 100), True),
        (t("int4"), t("int8"), True),
        (t("int8"), t("int4"), True),
        (t("numeric", 10, 2), t("numeric", 12, 2), False),
        (t("numeric", 10, 2), t("numeric"), False),
        (t("numeric", 10, 2), t("numeric", 10, 3), True),
        (t("numeric", 10, 2), t("numeric", 9, 2), True),
        (t("timestamp", 3), t("timestamp", 6), False),
        (t("timestamp", 6), t("timestamp", 3), True),
        (t("cidr"), t("inet"), False),
        (t("int4"), t("text"), True),
        (TypeRef.of("int4", (), True), t("int4"), True),
    ],
)
def test_which_type_changes_rewrite(old, new, rewrites):
    assert rewrites_on_type_change(old, new, has_using=False) is rewrites


def test_a_using_clause_always_rewrites():
    assert rewrites_on_type_change(t("varchar", 50), t("varchar", 100), has_using=True) is True


def test_timestamp_to_timestamptz_depends_on_the_session_time_zone():
    assert rewrites_on_type_change(t("timestamp"), t("timestamptz"), has_using=False) is None
    assert (
        rewrites_on_type_change(t("timestamp"), t("timestamptz"), has_using=False, utc_session=True)
        is False
    )
    assert (
        rewrites_on_type_change(
            t("timestamp"), t("timestamptz"), has_using=False, utc_session=False
        )
        is True
    )


def test_unknown_old_type_is_unknown():
    assert rewrites_on_type_change(None, t("int8"), has_using=False) is None


def test_aliases_and_typmods():
    assert TypeRef.of("character varying", (20,)) == t("varchar", 20)
    assert TypeRef.of("integer") == t("int4") and TypeRef.of("bigint") == t("int8")
    assert decode_typmod("varchar", 54) == (50,)
    assert decode_typmod("numeric", ((10 << 16) | 2) + 4) == (10, 2)
    assert decode_typmod("int4", -1) == ()


def _default(expr_sql):
    node, error, *_ = parse_one(f"ALTER TABLE t ADD COLUMN c int DEFAULT {expr_sql}")
    assert error is None
    return node.cmds[0].def_.constraints[0].raw_expr


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("0", Volatility.NON_VOLATILE),
        ("'x'::text", Volatility.NON_VOLATILE),
        ("now()", Volatility.NON_VOLATILE),
        ("CURRENT_TIMESTAMP", Volatility.NON_VOLATILE),
        ("lower('A')", Volatility.NON_VOLATILE),
        ("random()", Volatility.VOLATILE),
        ("floor(random() * 10)", Volatility.VOLATILE),
        ("gen_random_uuid()", Volatility.VOLATILE),
        ("nextval('s')", Volatility.VOLATILE),
        ("my_function()", Volatility.UNKNOWN),
    ],
)
def test_default_volatility(expr, expected):
    assert volatility(_default(expr)) is expected
