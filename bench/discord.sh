#!/usr/bin/env bash
# bench/discord.sh — cc-discord against Discord's rate limits.
#
# A stand-in engine writes SENDS sends and EDITS edits across CHANNELS
# channels at once, as live replies do (a message, then its edits), to
# fake-discord enforcing LIMIT calls per WINDOW seconds per route and
# channel and 50 calls per second overall.  Measured: the total time from
# the first action to the last call the fake answered, against the least
# time the limits allow for the calls made (the busiest bucket's windows,
# or the global limit's), target within 1.2×; the 429s provoked (target 0:
# every bucket is learnt from its first answer, before its second call);
# the bridge's memory idle, connected to the gateway (VmRSS counts the
# shared libraries' pages; RssAnon is the bridge's own; target under 6 MiB),
# next to, in the same run, bench/rss-floor.c (what the libraries the bridge
# must link cost before it does anything) and an upstream-style Python
# client (aiohttp, which discord.py is built on) holding the same gateway.
#
#   bash bench/discord.sh                       500 sends, 2,000 edits, 10 channels
#   SENDS=100 EDITS=400 bash bench/discord.sh   a quick run
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CC_BIN:-$top/bin}
SENDS=${SENDS:-500} EDITS=${EDITS:-2000} CHANNELS=${CHANNELS:-10}
LIMIT=${LIMIT:-5} WINDOW=${WINDOW:-1.0}
work=$(mktemp -d "${TMPDIR:-/tmp}/cc-dcbench.XXXXXX")
fake=
trap '[ -n "$fake" ] && kill $fake 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
${CC:-cc} -O2 -o "$work/rss-floor" "$top/bench/rss-floor.c" \
	$(pkg-config --cflags --libs libcurl libwebsockets libevent jansson yaml-0.1)
export HOME=$work/home
# as cc-head runs the bridges (cc-head(1), ENVIRONMENT); the floor too
export GNUTLS_NO_IMPLICIT_INIT=1
mkdir -p "$HOME"
"$top/test/fakes/fake-discord" --port-file "$work/port" --hello-interval 41250 \
	--route-limit "$LIMIT" --route-window "$WINDOW" --global-limit 50 >/dev/null 2>&1 &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
printf 'bot:\n  discord:\n    token: "TESTTOKEN"\n    api_url: http://127.0.0.1:%s/api/v10\n' \
	"$port" > "$work/cfg.yaml"
/usr/bin/python3 - "$BIN/cc-discord" "$work/cfg.yaml" "$port" "$SENDS" "$EDITS" "$CHANNELS" \
	"$LIMIT" "$WINDOW" "$work/rss-floor" "$top/bench/rss-compare.py" <<'PY'
import json, math, subprocess, sys, time, urllib.request
exe, cfg, port = sys.argv[1], sys.argv[2], sys.argv[3]
floor_exe, rss_compare = sys.argv[9], sys.argv[10]
sends, edits, nch, limit, window = (int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]),
                                    int(sys.argv[7]), float(sys.argv[8]))
api = "http://127.0.0.1:%s" % port
def get(path):
    return json.load(urllib.request.urlopen(api + path))
p = subprocess.Popen([exe, "-c", cfg], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
while get("/control/gateway")["seq"] < 2:
    time.sleep(0.05)
time.sleep(1.0)
idle = subprocess.run([rss_compare, str(p.pid), "ws://127.0.0.1:%s/gateway" % port, floor_exe],
                      capture_output=True, text=True, check=True).stdout
lines = []
per = sends // nch
eper = edits // sends if sends else 0
for c in range(nch):
    for i in range(per):
        ref = "c%ds%d" % (c, i)
        lines.append({"op": "send", "channel": "discord:%d" % (5000 + c), "ref": ref,
                      "text": "message %d of channel %d" % (i, c)})
        for k in range(eper):
            lines.append({"op": "edit", "ref": ref,
                          "text": "message %d of channel %d, edit %d" % (i, c, k + 1)})
# interleave the channels as several replies arriving at once
lines.sort(key=lambda a: (int(a["ref"].split("s")[1]), a["ref"].split("s")[0]))
t0 = time.time()
p.stdin.write("".join(json.dumps(a) + "\n" for a in lines).encode())
p.stdin.flush()
want = {str(5000 + c): {"message %d of channel %d, edit %d" % (i, c, eper) for i in range(per)}
        for c in range(nch)}
while True:
    msgs = get("/control/messages")
    if all(want[ch] <= {m["content"] for m in msgs.get(ch, [])} for ch in want):
        break
    if time.time() - t0 > 600:
        sys.exit("bench: timed out")
    time.sleep(0.2)
calls = [c for c in get("/control/calls") if c["path"].startswith("/channels/")]
ok = [c for c in calls if c["status"] == 200]
total = max(c["t"] for c in ok) - t0
buckets = {}
for c in ok:
    kind = "post" if c["method"] == "POST" else c["method"].lower()
    key = (kind, c["path"].split("/")[2])
    buckets[key] = buckets.get(key, 0) + 1
least_bucket = max((math.ceil(n / limit) - 1) * window for n in buckets.values())
least_global = math.ceil(len(ok) / 50) - 1
least = max(least_bucket, least_global)
provoked = sum(1 for c in calls if c["status"] == 429)
lost = sum(len(want[ch] - {m["content"] for m in get("/control/messages").get(ch, [])}) for ch in want)
p.stdin.close()
p.wait(timeout=60)
print("%d sends and %d edits across %d channels; fake: %d calls per %.1f s per route and channel, 50/s overall"
      % (per * nch, per * nch * eper, nch, limit, window))
print("calls made: %d (%d edits coalesced into the newest while waiting)" % (len(ok), per * nch * eper - (len(ok) - per * nch)))
print("total time: %.2f s; least the limits allow for those calls: %.2f s (%s); ratio %.2f (target <= 1.2)"
      % (total, least, "global limit" if least_global >= least_bucket else "busiest bucket", total / least if least else 0))
print("429s provoked: %d (target 0); texts lost: %d" % (provoked, lost))
print(idle, end="")
PY
