"""A throwaway PostgreSQL server for the tests: IVR_TEST_DATABASE_URL, or a cluster in a temporary folder.

Debian's server binaries live in /usr/lib/postgresql/<version>/bin; initdb and pg_ctl refuse to run
as root, so as root they run as the `postgres` user. A failure to start says why (the server's log).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run scripts/setup as root (it installs Debian's "
            "`postgresql`), or set IVR_TEST_DATABASE_URL=postgresql://… to a server"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of its own, started by `start`, gone after `stop`."""

    def __init__(self) -> None:
        self.bin = _binaries()
        self.root = Path(tempfile.mkdtemp(prefix="ivr-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = _free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def start(self) -> str:
        """Create and start the cluster; return its URL. Raise RuntimeError saying why it could not."""
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chmod(self.root, 0o700)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        made = self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"
        )
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip() or made.stdout.strip()}")
        return self.restart()

    def halt(self) -> None:
        """Stop the server at once, as a crash would, keeping its data (`restart` brings it back)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self) -> str:
        """Start the server (again) on its port and data; return its URL."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        started = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        if started.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {started.stdout.strip()}\n{log}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def psycopg_url(url: str) -> str:
    """Give SQLAlchemy's psycopg (version 3) driver name to a postgresql:// URL."""
    return "postgresql+psycopg://" + url.split("://", 1)[1]


def new_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; return its URL (postgresql+psycopg://)."""
    import psycopg

    with psycopg.connect(server_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = psycopg_url(server_url).rpartition("/")
    return f"{base}/{name}"
