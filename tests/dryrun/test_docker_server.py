"""DockerServer's own bookkeeping, with a stand-in for the container (no Docker engine)."""

from __future__ import annotations

import re
from typing import ClassVar

import pytest
from testcontainers.core import container as testcontainers

from pgfence.dryrun.servers.docker import DockerServer
from pgfence.errors import ServerError


class FakeContainer:
    """Records start and stop; accepts the builder calls DockerServer makes."""

    running: ClassVar[list[FakeContainer]] = []

    def __init__(self, image: str) -> None:
        self.image = image

    def with_env(self, *_args: object) -> FakeContainer:
        return self

    def with_kwargs(self, **_kwargs: object) -> FakeContainer:
        return self

    def with_command(self, _command: object) -> FakeContainer:
        return self

    def start(self) -> FakeContainer:
        FakeContainer.running.append(self)
        return self

    def stop(self) -> None:
        FakeContainer.running.remove(self)


def test_an_image_of_another_major_is_an_error_and_its_container_is_stopped(monkeypatch):
    monkeypatch.setattr(testcontainers, "DockerContainer", FakeContainer)
    monkeypatch.setattr(FakeContainer, "running", [])

    def ready(server: DockerServer) -> None:
        server._version = "15.4"

    monkeypatch.setattr(DockerServer, "_wait_ready", ready)
    server = DockerServer("postgres:15", expected_major=16)
    with pytest.raises(ServerError, match=re.escape("runs PostgreSQL 15.4, not 16")):
        server.start()
    assert FakeContainer.running == []
