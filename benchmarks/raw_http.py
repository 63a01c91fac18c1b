"""A lean HTTP/1.1 load client: keep-alive connections over asyncio streams, nothing else.

Why not httpx: on this machine one httpx process tops out near 185 requests a second against
`/healthz` while the same server answers `wrk` at 1,700-2,100 a second, so every figure measured
through it was the client's ceiling, not the server's. This client sends prepared request bytes and
reads the status line, the headers and a Content-Length body; it reaches `wrk`'s figures
(`python benchmarks/raw_http.py --port N` compares it with httpx on a running server).

It speaks only what `booking serve` (uvicorn) answers: Content-Length bodies, or chunked ones.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    seconds: float  # from writing the request to the last byte of the answer


def request_bytes(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, bytes(body)
            body += chunk[:-2]
    return status, b""


async def send_all(port: int, requests: list[bytes], connections: int) -> tuple[list[Answer], float]:
    """Every request once, over `connections` keep-alive connections (each takes the next request as soon as
    its answer is in). Returns the answers in request order and the wall time from the first byte sent to
    the last answer (connections are opened before the clock starts)."""
    answers: list[Answer | None] = [None] * len(requests)
    next_index = 0
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in range(min(connections, len(requests)))]

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal next_index
        while next_index < len(requests):
            index = next_index
            next_index += 1
            began = time.perf_counter()
            writer.write(requests[index])
            status, body = await _read_answer(reader)
            answers[index] = Answer(status, body, time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*[worker(reader, writer) for reader, writer in streams])
    elapsed = time.perf_counter() - started
    for _, writer in streams:
        writer.close()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None], elapsed


async def rate(port: int, path: str, requests: int, connections: int) -> float:
    """Requests per second for `requests` GETs of `path`; fails unless every answer is a 200."""
    answers, elapsed = await send_all(port, [request_bytes("GET", path)] * requests, connections)
    bad = [answer.status for answer in answers if answer.status != 200]
    assert not bad, f"{len(bad)} answers were not 200: {sorted(set(bad))}"
    return requests / elapsed


class Probe:
    """Reads `path` every `every` seconds over one keep-alive connection, from a process of its own, so that the load
    generator's event loop never delays a probe (what a probe measures is the server alone).

        with Probe(port) as probe:
            ...  # the load
        latencies = probe.latencies  # seconds, one per probe; every answer was a 200
    """

    def __init__(self, port: int, path: str = "/healthz", every: float = 0.020) -> None:
        self.port, self.path, self.every = port, path, every
        self.latencies: list[float] = []

    def __enter__(self) -> Probe:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_probe_main, args=(self.port, self.path, self.every, child_end))
        self._process.start()
        assert self._pipe.recv() == "probing"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pipe.send("stop")
        outcome = self._pipe.recv()
        self._process.join(timeout=10)
        if isinstance(outcome, str):
            raise AssertionError(outcome)
        self.latencies = outcome


def _probe_main(port: int, path: str, every: float, pipe: Any) -> None:
    asyncio.run(_probe_loop(port, path, every, pipe))


async def _probe_loop(port: int, path: str, every: float, pipe: Any) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = request_bytes("GET", path)
    latencies: list[float] = []
    pipe.send("probing")
    while not pipe.poll():
        began = time.perf_counter()
        writer.write(request)
        status, _ = await _read_answer(reader)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            pipe.recv()
            pipe.send(f"the probe got a {status}")
            return
        await asyncio.sleep(max(0.0, every - (time.perf_counter() - began)))
    pipe.recv()
    pipe.send(latencies)
    writer.close()


async def _httpx_rate(port: int, path: str, requests: int, connections: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
        gate = asyncio.Semaphore(connections)

        async def one() -> None:
            async with gate:
                assert (await client.get(path)).status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*[one() for _ in range(requests)])
        return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True, help="a running `booking serve`")
    parser.add_argument("--path", default="/healthz")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    for name, measure in (("this client", rate), ("httpx", _httpx_rate), ("this client", rate)):
        print(f"{name:12s} {asyncio.run(measure(args.port, args.path, args.requests, args.connections)):8.1f} /s")


if __name__ == "__main__":
    main()
