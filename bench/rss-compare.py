#!/usr/bin/python3
"""rss-compare.py PID WS_URL FLOOR_EXE [TARGET_MIB] — a bridge's memory idle, side by side
in one run with what it cannot go below and with an upstream-style client.

PID        the bridge, connected and idle
WS_URL     the WebSocket it holds (the fake's), for the Python reference;
           an http(s) URL is a discovery endpoint first POSTed the JSON in
           $REF_BODY, whose answer's data.URL is the WebSocket (Lark's);
           - leaves the Python reference out (a bridge without a WebSocket)
FLOOR_EXE  bench/rss-floor.c built: the bridge's libraries, initialised, idle
TARGET_MIB the issue's target, shown beside the bridge's line (default 6)

Prints three lines (two without the reference): the bridge (VmRSS,
RssAnon, Pss), the floor, and a
Python aiohttp client (what upstream's discord.py and lark-oapi stand on)
holding the same WebSocket."""
import subprocess
import sys
import time


def mem(pid):
    kib = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "RssAnon"):
            kib[k] = int(v.split()[0])
    for line in open("/proc/%d/smaps_rollup" % pid):
        if line.startswith("Pss:"):
            kib["Pss"] = int(line.split()[1])
    return kib


def held(argv):
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    p.stdout.readline()
    time.sleep(0.5)
    m = mem(p.pid)
    p.stdin.close()
    p.wait()
    return m


PYREF = '''
import asyncio, json, os, sys, aiohttp
async def main():
    async with aiohttp.ClientSession() as s:
        url = sys.argv[1]
        if url.startswith("http"):
            async with s.post(url, data=os.environ["REF_BODY"]) as r:
                url = (await r.json())["data"]["URL"]
        async with s.ws_connect(url) as ws:
            print("ready", flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
'''


def main():
    pid, url, floor_exe = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    target = sys.argv[4] if len(sys.argv) > 4 else "6"
    b = mem(pid)
    f = held([floor_exe])
    py = held(["/usr/bin/python3", "-c", PYREF, url]) if url != "-" else None
    print("RSS idle, connected: VmRSS %d KiB, RssAnon %d KiB, Pss %d KiB (target < %s MiB)"
          % (b["VmRSS"], b["RssAnon"], b["Pss"], target))
    print("  same run: rss-floor (the libraries alone, initialised) VmRSS %d KiB, RssAnon %d KiB;"
          " the bridge's own above it: %d KiB" % (f["VmRSS"], f["RssAnon"], b["VmRSS"] - f["VmRSS"]))
    if py:
        print("  same run: upstream-style Python aiohttp client on the same WebSocket: VmRSS %d KiB,"
              " RssAnon %d KiB" % (py["VmRSS"], py["RssAnon"]))


main()
