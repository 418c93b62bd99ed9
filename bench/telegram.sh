#!/usr/bin/env bash
# bench/telegram.sh — cc-telegram under a live reply.
#
# A stand-in engine streams one reply as EDITS edits over SECS seconds to
# a fake Bot API that refuses (429) more than one message call per second
# per chat.  Measured: the time from the last edit action to the fake
# receiving the final text (target < 2 s), the API calls made, and the
# bridge's RSS idle and while streaming to CHATS chats at once (target
# < 4 MiB).  Printed beside what a naive bridge (every edit sent, each 429
# waited out) would take for the same stream: that line is arithmetic from
# the fake's limit, not a measurement.  Beside the bridge's memory, in the
# same run: bench/rss-floor.c built as cc-telegram links (libcurl, libevent,
# jansson, libyaml; no libwebsockets), what no bridge on them goes below.
#
#   bash bench/telegram.sh                     3,000 edits over 60 s, 20 chats
#   SECS=10 EDITS=500 bash bench/telegram.sh   a quick run
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CC_BIN:-$top/bin}
SECS=${SECS:-60} EDITS=${EDITS:-3000} CHATS=${CHATS:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/cc-tgbench.XXXXXX")
trap 'kill $fake 2>/dev/null; wait $fake 2>/dev/null; rm -rf "$work"' EXIT
export HOME=$work/home
# as cc-head runs the bridges (cc-head(1), ENVIRONMENT); the floor too
export GNUTLS_NO_IMPLICIT_INIT=1
mkdir -p "$HOME"
"$top/test/fakes/fake-telegram" --chat-interval 1 --port-file "$work/port" >/dev/null 2>&1 &
fake=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
${CC:-cc} -O2 -DFLOOR_NO_WS -o "$work/rss-floor" "$top/bench/rss-floor.c" \
	$(pkg-config --cflags --libs libcurl libevent jansson yaml-0.1)
printf 'bot:\n  telegram:\n    token: "123:TEST"\n    api_url: http://127.0.0.1:%s\n' "$port" > "$work/cfg.yaml"

/usr/bin/python3 - "$BIN/cc-telegram" "$work/cfg.yaml" "$port" "$SECS" "$EDITS" "$CHATS" \
	"$work/rss-floor" "$top/bench/rss-compare.py" <<'PY'
import json, subprocess, sys, time, urllib.request
floor_exe, rss_compare = sys.argv[7], sys.argv[8]
exe, cfg, port, secs, edits, chats = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
api = "http://127.0.0.1:%s" % port

def get(path):
    return json.load(urllib.request.urlopen(api + path))

def post(path, body):
    urllib.request.urlopen(urllib.request.Request(api + path, json.dumps(body).encode()))

def rss_kib(pid, field="VmRSS"):
    """VmRSS counts the shared libraries' pages (libcurl, OpenSSL: shared
    with every process using them); RssAnon is the bridge's own memory."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0

def run(nchats, nedits, duration):
    post("/control/reset", {})
    p = subprocess.Popen([exe, "-c", cfg], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    time.sleep(1.0)
    idle = subprocess.run([rss_compare, str(p.pid), "-", floor_exe, "4"], capture_output=True,
                          text=True, check=True).stdout
    def w(obj):
        p.stdin.write((json.dumps(obj) + "\n").encode()); p.stdin.flush()
    for c in range(nchats):
        w({"op": "send", "channel": "telegram:%d" % (1000 + c), "ref": "r%d" % c, "text": "…"})
    t0 = time.time()
    text = ""
    peak = 0
    peak_anon = 0
    import random
    duration += random.uniform(0, 1)    # end at a random phase of the pace
    for i in range(1, nedits + 1):
        text += "w%d " % i + ("\n\n" if i % 40 == 0 else "")
        for c in range(nchats):
            w({"op": "edit", "ref": "r%d" % c, "text": text})
        target = t0 + duration * i / nedits
        d = target - time.time()
        if d > 0:
            time.sleep(d)
        if i % 50 == 0:
            peak = max(peak, rss_kib(p.pid))
            peak_anon = max(peak_anon, rss_kib(p.pid, "RssAnon"))
    t_last = time.time()
    final = "w%d" % nedits
    lag = None
    while time.time() - t_last < 30:
        calls = get("/control/calls")
        hits = [c["t"] for c in calls if c["status"] == 200 and c["method"] in ("editMessageText", "sendMessage")
                and final in str(c["params"].get("text", "")) and str(c["params"].get("chat_id")) == "1000"]
        if hits:
            lag = min(hits) - t_last
            break
        time.sleep(0.05)
    # let every chat settle before counting
    time.sleep(2.5)
    calls = get("/control/calls")
    peak = max(peak, rss_kib(p.pid, "VmHWM"))
    p.stdin.close()
    p.wait(timeout=60)
    api_calls = [c for c in calls if c["method"] not in ("getUpdates", "getMe")]
    n429 = sum(1 for c in api_calls if c["status"] == 429)
    return idle, (peak, peak_anon), lag, len(api_calls), n429

idle, _, lag, ncalls, n429 = run(1, edits, secs)
print("one chat: %d edits over %.0f s against 1 message/s per chat" % (edits, secs))
print("  final text at the fake %.2f s after the last edit action (target < 2 s)" % lag if lag is not None else "  final text never arrived")
print("  API calls: %d (%d answered 429)" % (ncalls, n429))
print("  naive bridge (every edit, waiting out each 429): >= %d calls, final text ~%.0f s late"
      % (edits, max(0, edits * 1.0 - secs)))
print(idle, end="")
_, peak, lag20, ncalls20, n42920 = run(chats, edits, secs)
print("%d chats streaming at once: peak VmRSS %.1f MiB, RssAnon %.1f MiB (target < 4 MiB); %d API calls, %d answered 429; chat 0's final text %.2f s late"
      % (chats, peak[0] / 1024, peak[1] / 1024, ncalls20, n42920, lag20 if lag20 is not None else float("nan")))
print("reproduce: SECS=%g EDITS=%d CHATS=%d bash bench/telegram.sh" % (secs, edits, chats))
PY
