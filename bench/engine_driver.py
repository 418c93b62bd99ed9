#!/usr/bin/env python3
"""engine_driver.py — the bridge side of bench/engine.sh.

  engine_driver.py replies CHANNELS DELTAS TOOLS EDIT_INTERVAL
      every channel sends one message at once (stream:DELTAS:TOOLS); waits
      until every reply's final text is shown; prints JSON: wall seconds,
      the engine's peak RSS (VmHWM) and CPU seconds, actions, and whether
      every reply was complete and in order.
  engine_driver.py latency N
      one channel, a `timed:N` reply with edit_interval 0: for each action,
      now minus the newest stamp it shows; prints JSON with the median and
      p90 in ms.
  engine_driver.py rpc-latency TARGET SID N
      the same stamps read straight from cc-rpc (the floor).
"""
import json
import os
import re
import select
import subprocess
import sys
import time

STAMP = re.compile(r"t(\d{6,}) ")


def proc_stats(pid):
    hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick
    return hwm, cpu


def lines_of(p, timeout):
    """Yield action lines from p's stdout until timeout."""
    buf = b""
    end = time.monotonic() + timeout
    fd = p.stdout.fileno()
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            if p.poll() is not None:
                return
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            yield line


def start_engine(edit_interval):
    p = subprocess.Popen(["cc-engine"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    hello = {"type": "hello", "platform": "bench", "max_len": 4096,
             "can_edit": True, "edit_interval": edit_interval,
             "buttons": True, "files": True}
    p.stdin.write((json.dumps(hello) + "\n").encode())
    p.stdin.flush()
    return p


def replies(channels, deltas, tools, interval):
    p = start_engine(interval)
    tail = "w%d" % deltas
    last = {}           # ref -> text
    chan_of = {}        # ref -> channel
    done = set()
    actions = 0
    t0 = time.monotonic()
    for i in range(channels):
        ev = {"type": "message", "channel": "bench:%d" % i, "user": "u",
              "text": "stream:%d:%d" % (deltas, tools)}
        p.stdin.write((json.dumps(ev) + "\n").encode())
    p.stdin.flush()
    ok = True
    for line in lines_of(p, 600):
        a = json.loads(line)
        actions += 1
        op = a.get("op")
        if op == "send":
            chan_of[a["ref"]] = a["channel"]
            last[a["ref"]] = a["text"]
        elif op == "edit":
            last[a["ref"]] = a["text"]
        else:
            continue
        t = last[a["ref"]]
        if t.endswith(tail) and a["ref"] in chan_of:
            done.add(chan_of[a["ref"]])
            if len(done) == channels:
                break
    wall = time.monotonic() - t0
    hwm, cpu = proc_stats(p.pid)
    p.stdin.close()
    p.wait()
    # complete and in order: every channel's final text holds the tool lines
    # (20 of them, in order) and then every word once, in order
    per = {}
    for ref, t in last.items():
        per.setdefault(chan_of.get(ref), []).append(t)
    for c in range(channels):
        texts = "\n".join(per.get("bench:%d" % c, []))
        steps = [int(m) for m in re.findall(r"echo step (\d+)", texts)]
        words = [int(m) for m in re.findall(r"\bw(\d+)\b", texts)]
        if steps != list(range(1, tools + 1)) or \
                words != list(range(1, deltas + 1)):
            ok = False
    print(json.dumps({"wall": round(wall, 3), "vmhwm_kib": hwm,
                      "cpu_s": round(cpu, 3), "actions": actions,
                      "complete": ok and len(done) == channels}))


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else None


def latency(n):
    p = start_engine(0)
    ev = {"type": "message", "channel": "bench:lat", "user": "u",
          "text": "timed:%d" % n}
    p.stdin.write((json.dumps(ev) + "\n").encode())
    p.stdin.flush()
    lat = []
    seen = 0
    for line in lines_of(p, 120):
        now = time.monotonic_ns()
        a = json.loads(line)
        if a.get("op") not in ("send", "edit"):
            continue
        stamps = STAMP.findall(a["text"])
        if len(stamps) > seen:
            lat.append((now - int(stamps[-1])) / 1e6)
            seen = len(stamps)
        if seen >= n:
            break
    p.stdin.close()
    p.wait()
    print(json.dumps({"n": len(lat), "median_ms": round(pct(lat, 0.5), 3),
                      "p90_ms": round(pct(lat, 0.9), 3)}))


def rpc_latency(target, sid, n):
    p = subprocess.Popen(["cc-rpc", target, "session.send", "sessionId=" + sid,
                          "message=@-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    p.stdin.write(("timed:%d" % n).encode())
    p.stdin.close()
    lat = []
    for line in lines_of(p, 120):
        now = time.monotonic_ns()
        a = json.loads(line)
        if a.get("type") == "partial":
            m = STAMP.search(a.get("content", ""))
            if m:
                lat.append((now - int(m.group(1))) / 1e6)
    p.wait()
    print(json.dumps({"n": len(lat), "median_ms": round(pct(lat, 0.5), 3),
                      "p90_ms": round(pct(lat, 0.9), 3)}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "replies":
        replies(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
                float(sys.argv[5]))
    elif cmd == "latency":
        latency(int(sys.argv[2]))
    elif cmd == "rpc-latency":
        rpc_latency(sys.argv[2], sys.argv[3], int(sys.argv[4]))
