"""Load one webhook with wrk: a fixed signed POST, repeated, with latency percentiles."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .signing import signed_post

# wrk calls done() once at the end; it prints one JSON line the bench reads back.
_SCRIPT = """\
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = {signature}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string literal


@dataclass(frozen=True)
class Result:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int  # status >= 400, and socket errors (connect, read, write, timeout)
    p50_ms: float
    p99_ms: float
    bytes_per_answer: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    """Return the wrk executable; raise when it is missing."""
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("wrk is missing: apt-get install wrk (bench/run installs it when run as root)")
    return path


def run(
    base: str,
    path: str,
    params: dict[str, str],
    seconds: float,
    connections: int = 8,
    threads: int = 1,
    forged: tuple[bytes, str] | None = None,
) -> Result:
    """Load base+path with a POST of params, signed for that exact URL, for a number of seconds; or
    with `forged`, a body and signature as they are (answers other than 2xx then count as errors)."""
    url = base + path
    if forged is None:
        body, headers = signed_post(url, params)
        signature = headers["X-Twilio-Signature"]
    else:
        body, signature = forged
    script = _SCRIPT.format(body=_lua_string(body.decode()), signature=_lua_string(signature))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        command = [
            wrk_path(),
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            f.name,
            url,
        ]
        out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    finally:
        Path(f.name).unlink()
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr.strip()[:300]}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCH "))
    d = json.loads(line[len("BENCH ") :])
    errors = d["status"] + d["connect"] + d["read"] + d["write"] + d["timeout"]
    return Result(
        requests=d["requests"],
        seconds=d["duration_us"] / 1e6,
        errors=errors,
        p50_ms=d["p50_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        bytes_per_answer=d["bytes"] / d["requests"] if d["requests"] else 0.0,
    )
