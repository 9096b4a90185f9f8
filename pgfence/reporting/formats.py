"""Every output format, by name: each renders a Report (or a MatrixReport) to text."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from pgfence.model import MatrixReport, Report

FORMATS = ("table", "json", "sarif", "github", "markdown", "junit", "html")


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False  # ANSI colours (table, on a terminal without NO_COLOR)
    width: int | None = None  # terminal width (table)
    pretty: bool = False  # indented JSON
    quiet: bool = False  # table: the findings and the summary line only
    show_statements: bool = False  # table: the tables of clean files too


def _module(fmt: str) -> ModuleType:
    # Imported when used: a run that prints a table does not load the HTML renderer.
    return importlib.import_module(f"pgfence.reporting.{fmt}")


def _render_report(fmt: str, report: Report, options: RenderOptions) -> str:
    module = _module(fmt)
    if fmt == "table":
        return str(
            module.render(
                report,
                width=options.width,
                color=options.color,
                quiet=options.quiet,
                show_statements=options.show_statements,
            )
        )
    if fmt == "json":
        return str(module.render(report, pretty=options.pretty))
    return str(module.render(report))


def _render_matrix(fmt: str, matrix: MatrixReport, options: RenderOptions) -> str:
    if fmt in ("table", "json"):
        from pgfence.reporting import matrix as matrix_report

        if fmt == "table":
            return matrix_report.render_table(matrix, width=options.width or 100)
        return matrix_report.render_json(matrix, pretty=options.pretty)
    return str(_module(fmt).render_matrix(matrix))


def render(fmt: str, result: Report | MatrixReport, options: RenderOptions) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r} (one of: {', '.join(FORMATS)})")
    if isinstance(result, MatrixReport):
        text = _render_matrix(fmt, result, options)
    else:
        text = _render_report(fmt, result, options)
    if fmt in ("json", "sarif"):
        from pgfence.reporting.terminal import json_safe

        # The exact text of every name, with what a terminal would obey written as escapes.
        return json_safe(text)
    return text
