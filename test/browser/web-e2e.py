#!/usr/bin/python3
"""web-e2e.py — drive cc-web in headless Chromium through the DevTools
protocol (Debian's python3-aiohttp for the WebSocket): log in, see the
peers and sessions, start a session on the `local` peer, send a message and
watch the reply stream in, answer a question by clicking, download a
forwarded file, reload and find the history; screenshots on the way.

usage: web-e2e.py --base URL --password PW --out DIR --file PATH --file-text T
Prints one "ok - step" line per step; exits 1 at the first failure.
"""
import argparse
import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import aiohttp


class CDP:
    def __init__(self, ws):
        self.ws = ws
        self.n = 0
        self.waiting = {}
        self.events = []

    async def reader(self):
        async for msg in self.ws:
            m = json.loads(msg.data)
            if "id" in m and m["id"] in self.waiting:
                self.waiting.pop(m["id"]).set_result(m)
            elif "method" in m:
                self.events.append(m)

    async def call(self, method, **params):
        self.n += 1
        fut = asyncio.get_running_loop().create_future()
        self.waiting[self.n] = fut
        await self.ws.send_str(json.dumps({"id": self.n, "method": method, "params": params}))
        m = await asyncio.wait_for(fut, 30)
        if "error" in m:
            raise RuntimeError("%s: %s" % (method, m["error"]))
        return m.get("result", {})

    async def js(self, expr):
        r = await self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                            awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError("js: %s: %s" % (expr[:80], r["exceptionDetails"]))
        return r["result"].get("value")

    async def until(self, expr, what, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = await self.js(expr)
                if v:
                    return v
            except RuntimeError:
                pass        # a navigation in between
            await asyncio.sleep(0.1)
        raise RuntimeError("timed out: " + what)

    async def click(self, selector):
        """A real mouse click at the element's centre."""
        box = await self.until(
            "(function(){var e=document.querySelector(%s); if(!e) return null;"
            "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();"
            "return [r.x+r.width/2, r.y+r.height/2];})()" % json.dumps(selector),
            "element " + selector)
        for t in ("mousePressed", "mouseReleased"):
            await self.call("Input.dispatchMouseEvent", type=t, x=box[0], y=box[1],
                            button="left", clickCount=1)

    async def type(self, selector, text):
        await self.js("document.querySelector(%s).focus()" % json.dumps(selector))
        await self.call("Input.insertText", text=text)

    async def shot(self, path):
        r = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(r["data"]))


def ok(step):
    print("ok - " + step, flush=True)


async def run(a, port):
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get("http://127.0.0.1:%d/json/list" % port) as r:
                    pages = [p for p in await r.json() if p["type"] == "page"]
                if pages:
                    break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        async with http.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            c = CDP(ws)
            reader = asyncio.create_task(c.reader())
            try:
                await steps(c, a)
            except Exception:
                # What the page showed, for the failure's report.
                try:
                    await c.shot(os.path.join(a.out, "failure.png"))
                    with open(os.path.join(a.out, "failure.txt"), "w") as f:
                        f.write(await c.js("location.href + '\\n' + document.body.innerText"))
                except Exception:
                    pass
                raise
            finally:
                reader.cancel()


async def steps(c, a):
    base = a.base
    dl = os.path.join(a.out, "downloads")
    os.makedirs(dl, exist_ok=True)
    await c.call("Page.enable")
    await c.call("Runtime.enable")
    await c.call("Emulation.setDeviceMetricsOverride", width=1200, height=900,
                 deviceScaleFactor=1, mobile=False)
    await c.call("Page.setDownloadBehavior", behavior="allow", downloadPath=dl)

    # Log in.
    await c.call("Page.navigate", url=base + "/")
    await c.until("location.pathname == '/login' && !!document.querySelector('[name=password]')",
                  "the login page")
    await c.type("[name=password]", "wrong password")
    await c.click("form.login button")
    await c.until("document.querySelector('.error') && "
                  "document.querySelector('.error').textContent.includes('Wrong password')",
                  "a wrong password refused")
    await c.type("[name=password]", a.password)
    await c.click("form.login button")
    await c.until("location.pathname == '/' && !!document.getElementById('peers')", "the dashboard")
    ok("logged in (a wrong password first refused)")
    cookie = await c.js("document.cookie")
    if cookie:
        raise RuntimeError("the session cookie is readable by script: " + cookie)
    ok("the session cookie is HttpOnly (document.cookie is empty)")

    # Peers with live status, sessions.
    await c.until("[...document.querySelectorAll('#peers tr')].some(r => "
                  "r.cells[0].textContent == 'local' && r.cells[3].textContent == 'online')",
                  "the local peer online")
    await c.until("[...document.querySelectorAll('#peers tr')].some(r => "
                  "r.cells[0].textContent == '<img src=x onerror=alert(1)>')",
                  "the hostile peer name shown as text")
    if await c.js("document.querySelectorAll('#peers img').length") != 0:
        raise RuntimeError("an <img> element in the peers table")
    ok("peers: local online, the hostile name shown as text, no <img>")
    await c.until("document.getElementById('sessions').textContent.includes('earlier-one')",
                  "the registry's sessions")
    await c.type("#q", "no-such-thing")
    await c.until("[...document.querySelectorAll('#sessions tr')].every(r => r.hidden)",
                  "search hides what does not match")
    await c.js("var q=document.getElementById('q'); q.value=''; q.dispatchEvent(new Event('input'))")
    ok("sessions from the registry; search filters them")
    await c.until("document.getElementById('head').textContent.includes('cc-engine (pid')",
                  "the head part")
    await c.shot(os.path.join(a.out, "dashboard.png"))
    ok("screenshot: dashboard.png")

    # Start a session on the local peer.
    await c.js("document.querySelector('.start [name=peer]').value='local'")
    await c.type(".start [name=path]", "app")
    await c.click(".start button")
    await c.until("location.pathname.startsWith('/chat/')", "the chat page")
    await c.until("document.getElementById('log').textContent.includes('Session ready')",
                  "Session ready", 60)
    chan = await c.js("document.getElementById('log').dataset.chan")
    ok("session started on local; its chat page web:" + chan)
    # The page opened before the session existed: its heading follows
    # without a reload, and the Interrupt form it brings still posts.
    await c.until("(function(){var h=document.querySelector('#meta h1'), "
                  "m=document.querySelector('#meta .meta'), "
                  "f=document.querySelector('#meta [name=csrf]');"
                  "return h && h.textContent !== 'New chat' && m && "
                  "m.textContent.includes('local') && m.textContent.includes('/app') && "
                  "f && f.value.length > 0})()", "the heading of the new session", 20)
    ok("the heading follows the session without a reload: " +
       await c.js("document.querySelector('#meta h1').textContent"))

    # A message; the reply streams in.
    await c.type("#say textarea", "stream:40:1")
    await c.js("document.querySelector('#say textarea').dispatchEvent("
               "new KeyboardEvent('keydown', {key:'Enter', bubbles:true}))")
    seen = set()
    end = time.time() + 60
    while time.time() < end:
        t = await c.js("(function(){var m=[...document.querySelectorAll('.msg.msg')]"
                       ".filter(e=>e.textContent.includes('w1 ')); "
                       "return m.length ? m[m.length-1].textContent : ''})()")
        if t:
            seen.add(t)
        if t and "w40" in t and "▌" not in t and "|" not in t[-3:]:
            break
        await asyncio.sleep(0.05)
    partial = [s for s in seen if "w40" not in s]
    if not any("w40" in s for s in seen):
        raise RuntimeError("the reply never completed: %r" % list(seen)[:3])
    if not partial:
        raise RuntimeError("no partial state seen: the reply did not stream")
    ok("the reply streamed: %d states seen before the whole text" % len(partial))
    if not await c.js("[...document.querySelectorAll('.msg.user')].some(e => "
                      "e.textContent == 'stream:40:1')"):
        raise RuntimeError("the user's message is not shown")

    # A question answered with a click.
    await c.type("#say textarea", "ask")
    await c.click("#say button[type=submit]")
    await c.until("!!document.querySelector('.msg.ask .opts button')", "the question's buttons", 60)
    label = await c.js("document.querySelector('.msg.ask .opts button').textContent")
    await c.click(".msg.ask .opts button")
    await c.until("document.querySelector('.msg.ask .opts button').disabled && "
                  "document.querySelector('.msg.ask').textContent.includes('answered')",
                  "the question answered")
    await c.until("[...document.querySelectorAll('.msg.msg')].some(e => "
                  "e.textContent.includes('Mock response') && e.textContent.includes(%s))"
                  % json.dumps(label.split(". ", 1)[-1][:20]),
                  "the AI's answer to the choice", 60)
    ok("question answered by clicking %r; the AI got the answer" % label)

    # A forwarded file, downloaded.
    await c.type("#say textarea", "file:" + a.file)
    await c.click("#say button[type=submit]")
    await c.until("!!document.querySelector('.msg.file a')", "the file's link", 60)
    await c.click(".msg.file a")
    name = os.path.basename(a.file)
    end = time.time() + 20
    while time.time() < end and not os.path.exists(os.path.join(dl, name)):
        await asyncio.sleep(0.1)
    with open(os.path.join(dl, name)) as f:
        got = f.read()
    if got != a.file_text:
        raise RuntimeError("downloaded %r, want %r" % (got, a.file_text))
    ok("forwarded file downloaded: " + name)
    await c.shot(os.path.join(a.out, "chat.png"))
    ok("screenshot: chat.png")

    # The history stays across a reload (localStorage).
    n = await c.js("document.querySelectorAll('#log .msg').length")
    await c.call("Page.reload")
    await c.until("document.readyState == 'complete' && "
                  "document.querySelectorAll('#log .msg').length >= %d" % n, "the history back")
    stored = await c.js("Object.keys(localStorage).filter(k => k == 'cc-chat:%s').length" % chan)
    if stored != 1:
        raise RuntimeError("no history in localStorage")
    ok("after a reload: %d messages back from localStorage" % n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--file", required=True)
    p.add_argument("--file-text", required=True)
    p.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    a = p.parse_args()
    prof = tempfile.mkdtemp(prefix="cc-web-chromium.")
    proc = subprocess.Popen([a.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-quic", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", "--user-data-dir=" + prof,
                             "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                             "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(a.out, "chromium.log"), "w"))
    rc = 1
    try:
        portfile = os.path.join(prof, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(portfile) and open(portfile).read().strip():
                break
            time.sleep(0.1)
        port = int(open(portfile).read().split()[0])
        asyncio.run(run(a, port))
        rc = 0
    except Exception as e:  # one line, then the failure status
        print("not ok - %s" % e, flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(prof, ignore_errors=True)
    sys.exit(rc)


if __name__ == "__main__":
    main()
