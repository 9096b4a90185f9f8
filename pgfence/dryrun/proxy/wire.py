"""Framing of the Postgres frontend/backend protocol (version 3): just enough to relay
messages whole and read the few a proxy must understand."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

# Codes of the untyped packets a client may open a connection with.
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

# Backend message types the proxy reads.
BACKEND_KEY_DATA = b"K"
READY_FOR_QUERY = b"Z"
COMMAND_COMPLETE = b"C"
ERROR_RESPONSE = b"E"
ROW_DESCRIPTION = b"T"
AUTHENTICATION = b"R"
DATA_ROW = b"D"

# Frontend message types the proxy reads.
QUERY = b"Q"
PARSE = b"P"
BIND = b"B"
EXECUTE = b"E"
SYNC = b"S"
FLUSH = b"H"
TERMINATE = b"X"
PASSWORD = b"p"
# The extended protocol's messages, up to a Sync (or a Flush) one batch: Parse, Bind,
# Describe, Execute, Close, Sync, Flush.
EXTENDED = frozenset({b"P", b"B", b"D", b"E", b"C", b"S", b"H"})


class ConnectionClosed(Exception):
    """The peer closed its end in the middle of, or before, a message."""


def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise ConnectionClosed
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class StartupPacket:
    """The untyped first packet of a connection: the whole packet and its code."""

    raw: bytes
    code: int

    @property
    def cancel_key(self) -> tuple[int, bytes]:
        """A CancelRequest's backend pid and secret key (4 bytes before PostgreSQL 18's
        protocol 3.2, up to 256 after: kept as bytes)."""
        (pid,) = struct.unpack("!i", self.raw[8:12])
        return pid, self.raw[12:]


def read_startup(sock: socket.socket) -> StartupPacket:
    header = read_exactly(sock, 4)
    (length,) = struct.unpack("!i", header)
    body = read_exactly(sock, length - 4)
    (code,) = struct.unpack("!i", body[:4])
    return StartupPacket(raw=header + body, code=code)


@dataclass(frozen=True)
class Message:
    """One typed protocol message, kept whole (`raw`) so it is relayed byte for byte."""

    kind: bytes
    raw: bytes

    @property
    def body(self) -> bytes:
        return self.raw[5:]


def read_message(sock: socket.socket) -> Message:
    header = read_exactly(sock, 5)
    (length,) = struct.unpack("!i", header[1:])
    return Message(kind=header[:1], raw=header + read_exactly(sock, length - 4))


def c_string(data: bytes, start: int = 0) -> tuple[str, int]:
    """The NUL-terminated string at `start` and the offset after its NUL."""
    end = data.index(b"\0", start)
    return data[start:end].decode("utf-8", "replace"), end + 1


def statement_text(message: Message) -> str | None:
    """The SQL a Query or Parse message carries."""
    if message.kind == QUERY:
        return c_string(message.body)[0]
    if message.kind == PARSE:
        _name, after = c_string(message.body)
        return c_string(message.body, after)[0]
    return None


def query_message(text: str) -> bytes:
    """A simple-protocol Query message carrying `text`."""
    body = text.encode() + b"\0"
    return QUERY + struct.pack("!i", len(body) + 4) + body


def ready_for_query(status: str) -> Message:
    return Message(
        kind=READY_FOR_QUERY, raw=READY_FOR_QUERY + struct.pack("!i", 5) + status.encode()
    )


def row_types(message: Message) -> list[int]:
    """The type OID of each column of a RowDescription."""
    body = message.body
    (count,) = struct.unpack("!h", body[:2])
    types: list[int] = []
    at = 2
    for _ in range(count):
        _name, at = c_string(body, at)
        (type_oid,) = struct.unpack("!i", body[at + 6 : at + 10])
        types.append(type_oid)
        at += 18
    return types


def row_values(message: Message) -> tuple[str | None, ...]:
    """A DataRow's values as text (None for NULL)."""
    body = message.body
    (count,) = struct.unpack("!h", body[:2])
    values: list[str | None] = []
    at = 2
    for _ in range(count):
        (size,) = struct.unpack("!i", body[at : at + 4])
        at += 4
        if size < 0:
            values.append(None)
            continue
        values.append(body[at : at + size].decode("utf-8", "replace"))
        at += size
    return tuple(values)


def error_fields(message: Message) -> tuple[str, str]:
    """An ErrorResponse's SQLSTATE and primary message."""
    fields: dict[str, str] = {}
    body, at = message.body, 0
    while at < len(body) and body[at] != 0:
        code = chr(body[at])
        value, at = c_string(body, at + 1)
        fields[code] = value
    return fields.get("C", ""), fields.get("M", "")


def error_response(severity: str, sqlstate: str, message: str) -> bytes:
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", severity), (b"V", severity), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    return ERROR_RESPONSE + struct.pack("!i", len(body) + 4) + body


def bind_parameters(body: bytes, at: int) -> tuple[str | None, ...]:
    """A Bind message's parameter values from `at` (after its portal and statement
    names): text ones as text, NULL and binary ones as None."""
    (count,) = struct.unpack("!h", body[at : at + 2])
    codes = struct.unpack(f"!{count}h", body[at + 2 : at + 2 + 2 * count])
    at += 2 + 2 * count
    (values,) = struct.unpack("!h", body[at : at + 2])
    at += 2
    out: list[str | None] = []
    for i in range(values):
        (size,) = struct.unpack("!i", body[at : at + 4])
        at += 4
        binary = codes[i if count > 1 else 0] == 1 if count else False
        if size < 0 or binary:
            out.append(None)
        else:
            out.append(body[at : at + size].decode("utf-8", "replace"))
        at += max(size, 0)
    return tuple(out)


# The name of pgfence's own statement and portal on a client's connection.
OWN_NAME = b"pgfence_proxy"


def own_query(text: str) -> bytes:
    """pgfence's own query, sent between two of the client's requests through the
    extended protocol with a statement and a portal of its own name, both closed after:
    a simple Query would drop the client's unnamed prepared statement and portal, which
    a client may still use (lib/pq binds its unnamed statement in a later batch)."""
    name = OWN_NAME + b"\0"
    messages = [
        # Closed first too: after an error the server skipped the Closes of last time.
        (b"C", b"S" + name),
        (b"C", b"P" + name),
        (b"P", name + text.encode() + b"\0" + struct.pack("!h", 0)),
        (b"B", name + name + struct.pack("!hhh", 0, 0, 0)),
        (b"D", b"P" + name),
        (b"E", name + struct.pack("!i", 0)),
        (b"C", b"S" + name),
        (b"C", b"P" + name),
        (b"S", b""),
    ]
    return b"".join(kind + struct.pack("!i", len(body) + 4) + body for kind, body in messages)
