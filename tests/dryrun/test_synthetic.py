"""Synthetic values and CHECK modelling: no server needed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pgfence.dryrun.synthetic import (
    CheckModel,
    ColumnType,
    constrained,
    encoder_for,
    permute,
    read_check,
)

INT4 = ColumnType("integer", "int4", "b")


def model_of(*checks: str, value_column: str | None = None) -> CheckModel:
    model = CheckModel()
    for n, check in enumerate(checks):
        read_check(model, f"c{n}", check, value_column)
    return model


@pytest.mark.parametrize("capacity", [1, 2, 7, 10, 1000, 2**31 - 1])
def test_permute_is_a_bijection_of_its_capacity(capacity):
    rows = range(min(capacity, 5000))
    values = permute(rows, capacity)
    assert len(set(values)) == len(values)
    assert all(0 <= v < capacity for v in values)


@pytest.mark.parametrize(
    ("label", "base", "typmod"),
    [
        ("integer", "int4", -1),
        ("smallint", "int2", -1),
        ("text", "text", -1),
        ("character varying(4)", "varchar", 8),
        ("uuid", "uuid", -1),
        ("date", "date", -1),
        ("timestamp with time zone", "timestamptz", -1),
        ("numeric(6,2)", "numeric", (6 << 16 | 2) + 4),
        ("jsonb", "jsonb", -1),
        ("inet", "inet", -1),
    ],
)
def test_distinct_ordinals_give_distinct_values_within_the_type(label, base, typmod):
    encoder = encoder_for("col", ColumnType(label, base, "b", typmod))
    assert encoder is not None
    ordinals = permute(range(min(encoder.capacity, 3000)), encoder.capacity)
    values = encoder.encode(ordinals)
    assert len(set(values)) == len(values)
    if base == "varchar":
        assert max(len(v) for v in values) <= 4
    if base == "int2":
        assert max(int(v) for v in values) <= 32767


def test_types_pgfence_cannot_make_up_have_no_encoder():
    assert encoder_for("p", ColumnType("point", "point", "b")) is None
    assert encoder_for("r", ColumnType("int4range", "int4range", "r")) is None


def test_enum_values_are_its_labels():
    encoder = encoder_for("s", ColumnType("status", "status", "e", labels=("new", "paid")))
    assert encoder.capacity == 2
    assert encoder.encode([0, 1, 2]) == ["new", "paid", "new"]


def test_between_becomes_bounds_and_values_stay_inside():
    model = model_of("CHECK (((qty >= 1) AND (qty <= 100)))")
    encoder = constrained(encoder_for("qty", INT4), model.columns["qty"])
    assert encoder.capacity == 100
    assert sorted(int(v) for v in encoder.encode(range(100))) == list(range(1, 101))
    assert not model.unmodelled


def test_strict_bounds_on_numbers_and_dates():
    model = model_of(
        "CHECK ((price > (0)::numeric))",
        "CHECK ((day >= '2024-02-01'::date))",
        "CHECK ((debt < 0))",
    )
    price = constrained(encoder_for("price", INT4), model.columns["price"])
    assert min(int(v) for v in price.encode(range(50))) == 1
    day = constrained(encoder_for("day", ColumnType("date", "date", "b")), model.columns["day"])
    assert min(date.fromisoformat(v) for v in day.encode(range(50))) == date(2024, 2, 1)
    debt = constrained(encoder_for("debt", INT4), model.columns["debt"])
    assert max(int(v) for v in debt.encode(range(50))) == -1


def test_in_lists_and_any_arrays_become_choices():
    model = model_of(
        "CHECK (((plan)::text = ANY ((ARRAY['free'::character varying, "
        "'pro'::character varying])::text[])))",
        "CHECK ((kind = ANY (ARRAY['a'::text, 'b'::text, 'c'::text])))",
    )
    assert model.columns["plan"].choices == ("free", "pro")
    assert model.columns["kind"].choices == ("a", "b", "c")
    text = encoder_for("kind", ColumnType("text", "text", "b"))
    assert set(constrained(text, model.columns["kind"]).encode(range(9))) == {"a", "b", "c"}


def test_length_bounds_shape_strings():
    model = model_of("CHECK (((length(code) >= 5) AND (char_length(code) <= 8)))")
    encoder = constrained(
        encoder_for("code", ColumnType("text", "text", "b")), model.columns["code"]
    )
    values = encoder.encode(permute(range(2000), encoder.capacity))
    assert all(5 <= len(v) <= 8 for v in values)
    assert len(set(values)) == len(values)


def test_domain_checks_read_value_as_the_column():
    model = model_of("CHECK ((VALUE > 0))", value_column="amount")
    assert model.columns["amount"].low == Decimal(1)


def test_comparison_of_two_columns_is_an_ordering():
    model = model_of("CHECK ((starts_at < ends_at))")
    assert model.orderings == [("starts_at", "ends_at", True)]


@pytest.mark.parametrize(
    "check",
    [
        "CHECK (((n % 2) = 0))",
        "CHECK (((a IS NULL) OR (b IS NOT NULL)))",
        "CHECK ((lower(email) = email))",
        "CHECK ((name > 'm'::text))",
    ],
)
def test_checks_outside_the_modelled_forms_are_reported_not_guessed(check):
    model = model_of(check)
    assert model.unmodelled == ["c0"]
    assert not model.columns or all(
        rules.low is None and rules.high is None and rules.choices is None
        for rules in model.columns.values()
    )


def test_checks_that_cannot_be_met_give_no_encoder():
    model = model_of("CHECK (((n > 10) AND (n < 5)))")
    assert constrained(encoder_for("n", INT4), model.columns["n"]) is None
