"""PostgreSQL's own client programs (pg_dump, pg_restore): found on the PATH, versions checked, no password on the command line."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from urllib.parse import unquote, urlsplit, urlunsplit

from booking.ops.errors import BackupError

INSTALL_HINT = (
    "install PostgreSQL's client programs of the server's major version "
    "(Debian: apt-get install postgresql-client-15) or put them on the PATH"
)


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not on the PATH; {INSTALL_HINT}")
    return path


async def tool_version(path: str) -> tuple[str, int]:
    """("pg_dump (PostgreSQL) 15.20 ...", 15)."""
    process = await asyncio.create_subprocess_exec(
        path, "--version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    text = (out or err).decode(errors="replace").strip()
    match = re.search(r"(\d+)(?:\.\d+)?", text)
    if process.returncode != 0 or match is None:
        raise BackupError(f"{path} --version did not say its version ({text!r})")
    return text, int(match.group(1))


def connection_for_tools(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (which would show in `ps`), and the environment that carries it."""
    parts = urlsplit(database_url)
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        host = netloc.rpartition("@")[2]
        netloc = f"{user}@{host}" if user else host
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, parts.fragment)), env


async def run_tool(args: list[str], env: dict[str, str], what: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await process.communicate()
    except BaseException:  # cancelled (the worker stopping): never leave the program running
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    if process.returncode != 0:
        lines = [line for line in err.decode(errors="replace").splitlines() if line.strip()]
        raise BackupError(f"{what} failed (status {process.returncode}): {' / '.join(lines[-3:]) or 'no message'}")
