"""Start the production server exactly as the Procfile says, or the floor under the same settings."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .signing import LINE_NUMBER, TOKEN

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
FLOOR_APP = "bench.floor_app:app"
_APP_SPEC = re.compile(r"(gunicorn\s+)('[^']*'|\"[^\"]*\"|\S+)")


def procfile_web(procfile: Path = PROCFILE) -> str:
    """Return the command of the Procfile's `web:` process."""
    for line in procfile.read_text().splitlines():
        if line.startswith("web:"):
            return line[len("web:") :].strip()
    raise ValueError(f"no web: process in {procfile}")


def floor_command(web: str) -> str:
    """Return the web command with the app replaced by the floor: every gunicorn setting unchanged."""
    command, count = _APP_SPEC.subn(lambda m: m.group(1) + FLOOR_APP, web, count=1)
    if count != 1:
        raise ValueError(f"no gunicorn app in {web!r}")
    return command


def free_port() -> int:
    """Return a loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return sorted(out)


def _memory_kb(pid: int) -> tuple[int, int]:
    """Return (RSS, PSS) of a process in KiB; PSS shares the pages forked workers have in common."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Rss:"):
            rss = int(line.split()[1])
        elif line.startswith("Pss:"):
            pss = int(line.split()[1])
    return rss, pss


@dataclass
class Server:
    """One gunicorn server on loopback, run from a shell command as a platform would run it."""

    name: str
    command: str
    env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    log: Path | None = None
    startup_s: float = 0.0
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Server:
        """Start the server and wait until /healthz answers; record the start-up time."""
        env = {
            **os.environ,
            **self.env,
            "PORT": str(self.port),
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        }
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 (closed by the child)
        began = time.perf_counter()
        self.process = subprocess.Popen(
            ["sh", "-c", f"exec {self.command}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.log:
            out.close()
        while time.perf_counter() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=1) as r:
                    if r.status == 200:
                        self.startup_s = time.perf_counter() - began
                        return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} server did not answer /healthz within {timeout} s")

    def workers(self) -> list[int]:
        """Return the worker processes' ids."""
        return _children(self.process.pid) if self.process else []

    def memory(self) -> dict[str, float]:
        """Return the mean RSS and PSS of the workers, and the master's RSS, in MiB."""
        mem = [_memory_kb(pid) for pid in self.workers()]
        master_rss, _ = _memory_kb(self.process.pid)
        return {
            "workers": len(mem),
            "worker_rss_mib": sum(m[0] for m in mem) / len(mem) / 1024 if mem else 0.0,
            "worker_pss_mib": sum(m[1] for m in mem) / len(mem) / 1024 if mem else 0.0,
            "master_rss_mib": master_rss / 1024,
        }

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM to the master), then for good."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


STATS_PASSWORD = "bench-stats-password-not-a-secret"
NOW = "2026-12-01T10:00:00+01:00"  # a Tuesday morning, not a public holiday: every service open


def line_env(stats_url: str = "off") -> dict[str, str]:
    """Return the settings a production server needs: signing required, the line's own caller ID,
    statistics counted into `stats_url` (IVR_STATS_URL) or not at all. The line's clock stands on a
    working morning (IVR_NOW): every route then ends where the flow's graph says (bench.calls), not at
    a council's "closed" transfer on an evening or a Sunday, and every run serves the same pages."""
    return {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "IVR_CALLER_ID": LINE_NUMBER,
        "IVR_STATS_URL": stats_url,
        "IVR_STATS_PASSWORD": STATS_PASSWORD,  # as in production: the staff page served beside the webhooks
        "IVR_NOW": NOW,
    }


def app_server(
    log: Path | None = None, data_dir: Path | None = None, prompts_dir: Path | None = None, stats_url: str = "off"
) -> Server:
    """Return the production server, as the Procfile starts it, signing required; counting into
    `stats_url` (IVR_STATS_URL), or not at all."""
    env = line_env(stats_url)
    if data_dir:
        env["IVR_DATA_DIR"] = str(data_dir)
    if prompts_dir:
        env["IVR_PROMPTS_DIR"] = str(prompts_dir)
    return Server("app", procfile_web(), env=env, log=log)


def floor_server(document: Path, log: Path | None = None) -> Server:
    """Return the floor under the Procfile's gunicorn settings, answering with a document."""
    return Server("floor", floor_command(procfile_web()), env={"BENCH_FLOOR_FILE": str(document)}, log=log)


_WORKER_FLAGS = re.compile(r"\s--(config|worker-class|threads|worker-connections)[ =]\S+")


def with_worker(web: str, flags: str) -> str:
    """Return the web command with its worker class, threads or connections and configuration module
    (gevent's patching) replaced by `flags`: the same server with another kind of worker."""
    stripped = _WORKER_FLAGS.sub("", web)
    head, sep, tail = stripped.partition(" --bind ")
    return f"{head} {flags}{sep}{tail}"
