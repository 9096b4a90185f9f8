"""action/comment.py against a local HTTP server that keeps pull-request comments the way
GitHub's REST API does (list with pages, create, edit): one comment per pull request,
created once and then edited in place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "action" / "comment.py"


class Comments:
    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.next_id = 1000
        self.requests: list[tuple[str, str]] = []
        self.refuse_writes = False


def handler_for(store: Comments) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, code: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict:
            return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

        def do_GET(self) -> None:
            url = urlparse(self.path)
            store.requests.append(("GET", url.path))
            assert url.path == "/repos/o/r/issues/7/comments", url.path
            query = parse_qs(url.query)
            size, page = int(query["per_page"][0]), int(query["page"][0])
            items = [{"id": i, "body": b} for i, b in sorted(store.by_id.items())]
            self._reply(200, items[(page - 1) * size : page * size])

        def do_POST(self) -> None:
            store.requests.append(("POST", self.path))
            if store.refuse_writes:
                return self._reply(403, {"message": "Resource not accessible by integration"})
            assert self.path == "/repos/o/r/issues/7/comments"
            assert self.headers["Authorization"] == "Bearer secret"
            store.next_id += 1
            store.by_id[store.next_id] = self._body()["body"]
            self._reply(201, {"id": store.next_id})

        def do_PATCH(self) -> None:
            store.requests.append(("PATCH", self.path))
            comment = int(self.path.rsplit("/", 1)[1])
            assert self.path == f"/repos/o/r/issues/comments/{comment}"
            store.by_id[comment] = self._body()["body"]
            self._reply(200, {"id": comment})

    return Handler


@pytest.fixture
def github() -> Iterator[tuple[Comments, str]]:
    store = Comments()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(store))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield store, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def comment(tmp_path: Path, api: str, markdown: str, **env: str) -> subprocess.CompletedProcess:
    report = tmp_path / "pgfence.md"
    report.write_text(markdown)
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={
            **os.environ,
            "GITHUB_API_URL": api,
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_TOKEN": "secret",
            "PR_NUMBER": "7",
            "MARKDOWN": str(report),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_first_push_creates_the_comment_and_later_pushes_edit_it(tmp_path, github):
    store, api = github
    store.by_id[5] = "a reviewer's comment"
    first = comment(tmp_path, api, "### pgfence analyze\n1 finding")
    assert first.returncode == 0, first.stderr
    assert "created the comment on pull request #7" in first.stdout
    [mine] = [i for i, b in store.by_id.items() if "pgfence-comment" in b]
    second = comment(tmp_path, api, "### pgfence analyze\nno finding")
    assert "updated the comment" in second.stdout
    assert sorted(store.by_id) == [5, mine]  # still one comment of ours; theirs untouched
    assert store.by_id[mine] == "<!-- pgfence-comment:pgfence -->\n### pgfence analyze\nno finding"
    assert store.by_id[5] == "a reviewer's comment"
    assert ("PATCH", f"/repos/o/r/issues/comments/{mine}") in store.requests


def test_the_comment_is_found_past_the_first_page(tmp_path, github):
    store, api = github
    for n in range(150):
        store.by_id[n] = f"chatter {n}"
    store.by_id[140] = "<!-- pgfence-comment:pgfence -->\nold report"
    done = comment(tmp_path, api, "new report")
    assert "updated" in done.stdout
    assert store.by_id[140].endswith("new report") and len(store.by_id) == 150


def test_another_comment_id_is_another_comment(tmp_path, github):
    store, api = github
    comment(tmp_path, api, "analyze report")
    comment(tmp_path, api, "dryrun report", COMMENT_ID="dryrun")
    assert len(store.by_id) == 2


def test_a_read_only_token_is_a_warning_not_a_failure(tmp_path, github):
    store, api = github
    store.refuse_writes = True
    done = comment(tmp_path, api, "report")
    assert done.returncode == 0
    assert "::warning title=pgfence::could not comment: HTTP 403" in done.stdout
    assert "fork" in done.stdout


def test_a_report_longer_than_a_comment_is_cut_with_a_pointer(tmp_path, github):
    store, api = github
    comment(tmp_path, api, "x" * 70000)
    [text] = store.by_id.values()
    assert len(text) == 65536 and text.rstrip().endswith("the job summary has the whole report.")
