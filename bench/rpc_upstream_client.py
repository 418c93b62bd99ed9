#!/usr/bin/python3
"""The upstream head's way of reading a session.send stream (DaemonClient,
upstream-infra §3.5): aiohttp, readline, decode, strip, skip blank lines,
keep "data: " lines, [DONE] ends, json.loads each event.  Benchmark only.
Usage: rpc_upstream_client.py URL  — prints the number of events read."""
import asyncio
import json
import sys

import aiohttp


async def main(url):
    n = 0
    timeout = aiohttp.ClientTimeout(total=900, sock_read=300)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.post(url, json={"method": "session.send",
                                           "params": {"sessionId": "b",
                                                      "message": "bench"}},
                                headers={"Content-Type": "application/json"}) as resp:
            while True:
                line = await resp.content.readline()
                if not line:
                    break
                if len(line) > 10 * 1024 * 1024:
                    continue
                text = line.decode("utf-8").strip()
                if not text or not text.startswith("data: "):
                    continue
                data = text[6:]
                if data == "[DONE]":
                    break
                try:
                    event = json.loads(data)
                except json.JSONDecodeError:
                    continue
                if event:
                    n += 1
    print(n)


asyncio.run(main(sys.argv[1]))
