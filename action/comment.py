"""The "Comment on the pull request" step of action.yml: one pgfence comment per pull request,
created on the first push and edited in place on every later one (Squawk's model).

Reads the Markdown report (MARKDOWN) and talks to GitHub's REST API (GITHUB_API_URL,
GITHUB_REPOSITORY, GITHUB_TOKEN, PR_NUMBER) with the standard library only: the step runs on
the Python the action set up, before or without pgfence. The comment is recognised by a
hidden marker (COMMENT_ID). A comment that cannot be written (a pull request from a fork
gets a read-only token) is a warning, never the job's failure.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

MAX_BODY = 65536  # GitHub refuses longer comment bodies


def marker(comment_id: str) -> str:
    return f"<!-- pgfence-comment:{comment_id} -->"


def body(markdown: str, comment_id: str) -> str:
    head = marker(comment_id) + "\n"
    room = MAX_BODY - len(head)
    if len(markdown) > room:
        cut = "\n\n…cut to fit a comment: the job summary has the whole report.\n"
        markdown = markdown[: room - len(cut)] + cut
    return head + markdown


class GitHub:
    def __init__(self, api: str, repository: str, token: str) -> None:
        self.base = f"{api.rstrip('/')}/repos/{repository}"
        self.token = token

    def call(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if payload is None else json.dumps(payload).encode(),
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def find(self, number: str, wanted: str) -> int | None:
        """The id of the first comment of the pull request that carries `wanted`."""
        page = 1
        while True:
            comments = self.call("GET", f"/issues/{number}/comments?per_page=100&page={page}")
            for comment in comments:
                if wanted in (comment.get("body") or ""):
                    return int(comment["id"])
            if len(comments) < 100:
                return None
            page += 1


def upsert(github: GitHub, number: str, text: str, comment_id: str) -> str:
    found = github.find(number, marker(comment_id))
    if found is None:
        github.call("POST", f"/issues/{number}/comments", {"body": text})
        return "created"
    github.call("PATCH", f"/issues/comments/{found}", {"body": text})
    return "updated"


def main() -> int:
    env = os.environ
    number = env.get("PR_NUMBER", "")
    if not number:
        print("pgfence: not a pull request: no comment")
        return 0
    comment_id = env.get("COMMENT_ID") or "pgfence"
    with open(env["MARKDOWN"], encoding="utf-8") as fh:
        text = body(fh.read(), comment_id)
    github = GitHub(
        env["GITHUB_API_URL"],
        env["GITHUB_REPOSITORY"],
        env.get("GITHUB_TOKEN", ""),
    )
    try:
        done = upsert(github, number, text, comment_id)
    except urllib.error.HTTPError as exc:
        why = " (a pull request from a fork gets a read-only token)" if exc.code == 403 else ""
        print(f"::warning title=pgfence::could not comment: HTTP {exc.code}{why}")
        return 0
    except (urllib.error.URLError, OSError) as exc:
        print(f"::warning title=pgfence::could not comment: {exc}")
        return 0
    print(f"pgfence: {done} the comment on pull request #{number}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
