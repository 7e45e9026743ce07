"""The Docker image's HEALTHCHECK: ``GET /healthz`` on ``HEALTH_PORT``, one line of output.

Exit 0 on 200, 1 otherwise (503 = degraded, refused, timed out). Docker keeps the output of
the last checks in ``docker inspect`` (``State.Health.Log``): an operator reads one line
saying what is wrong (``503 degraded: gateway (shard 0 disconnected)``), not a traceback.
``HEALTH_PORT=0`` turns the endpoint off, so there is nothing to check (exit 0).
Standard library only: it runs with the image's Python, outside the application.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0


def degraded_parts(body: bytes) -> str:
    """What a 503 body says is not ok: ``gateway (shard 0 disconnected), database``."""
    try:
        answer = json.loads(body)
    except ValueError:
        return "no JSON answer"
    if not isinstance(answer, dict):
        return "no JSON answer"
    parts = []
    for name in ("gateway", "database"):
        part = answer.get(name)
        if not isinstance(part, dict) or part.get("ok"):
            continue
        shards = part.get("shards")
        if not isinstance(shards, dict):
            shards = {}
        down = [
            f"shard {shard_id} {state.get('state')}"
            for shard_id, state in shards.items()
            if isinstance(state, dict) and state.get("state") != "connected"
        ]
        detail = ", ".join(down) or part.get("error")
        parts.append(f"{name} ({detail})" if detail else name)
    return ", ".join(parts) or "degraded"


def check(port: str) -> tuple[int, str]:
    """(exit status, the line to print) for the endpoint on 127.0.0.1:``port``."""
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return 0, f"{url}: {response.status} ok"
    except urllib.error.HTTPError as exc:
        return 1, f"{url}: {exc.code} degraded: {degraded_parts(exc.read())}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return 1, f"{url}: no answer ({reason})"


def main() -> int:
    """Print one line and return the HEALTHCHECK's exit status."""
    port = os.environ.get("HEALTH_PORT", "").strip() or "8080"
    if port == "0":
        print("HEALTH_PORT=0: the health endpoint is off; nothing to check")
        return 0
    status, line = check(port)
    print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
