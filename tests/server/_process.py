"""`agentkit dev` / `agentkit serve` in a real subprocess, for the tests that need one."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def agentkit_server(
    tmp_path: Path, *args: str, app: str, env: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Run ``python -m agentkit ... <args> --app <app> --port 0`` on a fresh SQLite file.

    Yields the URL it printed and the whole first line; stops it on exit. The
    server's stderr goes to a log file that a failed start quotes.
    """
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    if "AGENTKIT_API_KEY" not in (env or {}):
        environment.pop("AGENTKIT_API_KEY", None)
    database = f"sqlite:///{tmp_path / 'server.db'}"
    command = [sys.executable, "-m", "agentkit", "--database-url", database, *args]
    log = tmp_path / "server.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [*command, "--app", app, "--port", "0"],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as process,
    ):
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found is not None, f"agentkit {args[0]} printed {line!r}; log: {log.read_text()}"
            yield found.group(0), line
        finally:
            process.terminate()
            process.wait(timeout=30)
