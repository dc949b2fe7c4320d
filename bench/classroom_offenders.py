"""Bad input beside a class: does the server keep serving the others?

    python bench/classroom_offenders.py [--students 30] [--out docs/classroom-offenders.json]

On a fresh server (`streamlit run`, the cache folder as it is: $HANDCLF_CACHE or cache/),
after the teacher's walk, N students arrive over 10 s and walk Home, Dataset, Compare and
Predict (`classroom_protocol`), while offenders speak to the same WebSocket endpoint:

- **garbage**: 20 clients, each sends bytes that are no BackMsg, then a text frame;
- **oversized**: 5 clients, each sends a 40-MB binary message;
- **drop**: one client opens 200 sessions (each asks for Compare) and drops them at once;
- **reconnect**: one client connects, asks for Home and drops, in a loop, for the class.

Reports the students' pages (median / 95th percentile), their errors, the server's peak
memory (PSS) during and 20 s after, and the lines of the server's log, by offender kind
(each offender should cost one line at most, none a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from bench import classroom_measure as measure  # noqa: E402
from bench import classroom_protocol as protocol  # noqa: E402
from bench.protocol_client import Tab  # noqa: E402

GARBAGE, OVERSIZED, DROPPED = 20, 5, 200
OVERSIZED_MB = 40


def _stream(url: str) -> str:
    return url.replace("http", "ws", 1) + "/_stcore/stream"


async def _quietly(coro) -> None:
    with contextlib.suppress(Exception):
        await coro


SENT = {"garbage": 0, "text": 0, "oversized": 0}  # offending messages sent (connected)


async def garbage(url: str) -> None:
    async def one(i: int) -> None:
        async with connect(_stream(url), subprotocols=["streamlit"], open_timeout=60) as ws:
            await ws.send(os.urandom(64 + i))  # no BackMsg: a protocol error
            SENT["garbage"] += 1
            await _quietly(asyncio.wait_for(ws.recv(), 5))
        async with connect(_stream(url), subprotocols=["streamlit"], open_timeout=60) as ws:
            await ws.send("hello")  # a text frame: Streamlit speaks binary only
            SENT["text"] += 1
            await _quietly(asyncio.wait_for(ws.recv(), 5))

    await asyncio.gather(*(_quietly(one(i)) for i in range(GARBAGE)))


async def oversized(url: str) -> None:
    async def one() -> None:
        async with connect(_stream(url), subprotocols=["streamlit"], max_size=None) as ws:
            await ws.send(b"\0" * (OVERSIZED_MB * 2**20))
            SENT["oversized"] += 1
            await _quietly(asyncio.wait_for(ws.recv(), 10))

    for _ in range(OVERSIZED):
        await _quietly(one())


async def drop(url: str) -> None:
    """200 sessions asked for Compare, dropped before it is drawn."""

    async def one() -> None:
        tab = Tab(url)
        async with tab:
            await tab._rerun(page_name="Compare")
            await asyncio.sleep(0.05)

    await asyncio.gather(*(_quietly(one()) for _ in range(DROPPED)))


async def reconnect(url: str, until: asyncio.Event) -> int:
    times = 0
    while not until.is_set():
        with contextlib.suppress(Exception):
            async with Tab(url) as tab:
                await tab._rerun(page_name="")
                await asyncio.sleep(0.1)
        times += 1
    return times


async def _class(url: str, proc: psutil.Process, log: Path, n: int) -> dict:
    stop = asyncio.Event()
    looping = asyncio.create_task(reconnect(url, stop))
    offenders = asyncio.gather(garbage(url), oversized(url), drop(url))
    record = await protocol.students(url, proc, log, n, spread=10, hold=5)
    await offenders
    stop.set()
    record["reconnections"] = await looping
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    env = {**os.environ, "HANDCAM_DATA": os.environ.get("HANDCAM_DATA", "")}
    log = Path(tempfile.mkdtemp(prefix="handclf-runs-")) / "runs.jsonl"
    load = os.getloadavg()[0]
    with measure.server(env, log) as (url, proc):
        asyncio.run(protocol.teacher(url))
        before = len(log.with_suffix(".out").read_text().splitlines())
        record = asyncio.run(_class(url, proc, log, args.students))
        time.sleep(20)  # the dropped sessions' runs end, their memory goes
        record["server_mb_20s_after"] = round(measure.memory(proc) / 2**20)
    lines = log.with_suffix(".out").read_text(errors="replace").splitlines()[before:]
    record["log_lines"] = [line for line in lines if line.strip() and "Stopping" not in line]
    record["log_problems"] = measure.log_problems(log)
    record["offenders"] = {"garbage": GARBAGE * 2, "oversized": OVERSIZED, "dropped": DROPPED}
    record["offending_messages_sent"] = SENT
    record["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    protocol.show(record)
    print(f"  {len(record['log_lines'])} log lines after the teacher's walk, "
          f"{record['reconnections']} reconnections, {record['server_mb_20s_after']} MB "
          f"20 s after; sent {SENT}")  # fmt: skip
    for line in record["log_lines"][:40]:
        print("   |", line[:160])
    if args.out:
        args.out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
