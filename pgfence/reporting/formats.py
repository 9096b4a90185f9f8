"""Every output format, by name: each renders a Report (or a MatrixReport) to text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pgfence.model import MatrixReport, Report
from pgfence.reporting import github, html, json, junit, markdown, sarif, table
from pgfence.reporting import matrix as matrix_report

FORMATS = ("table", "json", "sarif", "github", "markdown", "junit", "html")


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False  # ANSI colours (table, on a terminal without NO_COLOR)
    width: int | None = None  # terminal width (table)
    pretty: bool = False  # indented JSON


_REPORT: dict[str, Callable[[Report, RenderOptions], str]] = {
    "table": lambda r, o: table.render(r, width=o.width, color=o.color),
    "json": lambda r, o: json.render(r, pretty=o.pretty),
    "sarif": lambda r, o: sarif.render(r),
    "github": lambda r, o: github.render(r),
    "markdown": lambda r, o: markdown.render(r),
    "junit": lambda r, o: junit.render(r),
    "html": lambda r, o: html.render(r),
}
_MATRIX: dict[str, Callable[[MatrixReport, RenderOptions], str]] = {
    "table": lambda m, o: matrix_report.render_table(m, width=o.width or 100),
    "json": lambda m, o: matrix_report.render_json(m, pretty=o.pretty),
    "sarif": lambda m, o: sarif.render_matrix(m),
    "github": lambda m, o: github.render_matrix(m),
    "markdown": lambda m, o: markdown.render_matrix(m),
    "junit": lambda m, o: junit.render_matrix(m),
    "html": lambda m, o: html.render_matrix(m),
}


def render(fmt: str, result: Report | MatrixReport, options: RenderOptions) -> str:
    try:
        if isinstance(result, MatrixReport):
            return _MATRIX[fmt](result, options)
        return _REPORT[fmt](result, options)
    except KeyError:
        raise ValueError(f"unknown output format {fmt!r} (one of: {', '.join(FORMATS)})") from None
