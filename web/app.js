/* codecast web UI: keeps the dashboard and the chat live (EventSource),
 * posts forms without reloading, keeps each chat's history in this
 * browser (localStorage).  Every HTML string it inserts was escaped by
 * the server; everything else goes in as text. */
"use strict";
(function () {
	var meta = document.querySelector('meta[name="csrf"]');
	var csrf = meta ? meta.content : "";

	function $(id) { return document.getElementById(id); }
	function fillCsrf(root) {
		root.querySelectorAll('input[name="csrf"]').forEach(function (i) { i.value = csrf; });
	}
	function banner(msg) {
		var b = $("banner");
		if (!b) {
			b = document.createElement("p");
			b.id = "banner";
			b.className = "error";
			b.setAttribute("role", "alert");
			document.querySelector("main").prepend(b);
		}
		b.textContent = msg;
		b.hidden = !msg;
	}
	function post(url, body, type) {
		return fetch(url, {
			method: "POST", credentials: "same-origin", body: body,
			headers: { "Content-Type": type || "application/x-www-form-urlencoded",
				"X-CSRF-Token": csrf, "Accept": "application/json" }
		}).then(function (r) {
			return r.json().catch(function () { return {}; }).then(function (j) {
				if (!r.ok && !j.error) j.error = "Refused (" + r.status + ")";
				return j;
			});
		}, function () { return { error: "The server cannot be reached." }; });
	}

	document.addEventListener("submit", function (e) {
		var f = e.target;
		if (f.method.toLowerCase() !== "post" || /\/login$/.test(f.action)) return;
		if (f.classList.contains("confirm") && !window.confirm("Destroy this session on its peer?")) {
			e.preventDefault();
			return;
		}
		e.preventDefault();
		var p = new URLSearchParams(new FormData(f));
		p.set("csrf", csrf);
		post(f.action, p).then(function (j) {
			if (j.error) return banner(j.error);
			banner("");
			if (j.go && j.go !== location.pathname) location.href = j.go;
			else if (f.id === "say") {
				f.reset();
				var a = $("attached");
				if (a) a.textContent = "";
			}
		});
	});

	/* ---- dashboard ---- */
	if (document.body.dataset.page === "dash") {
		var q = $("q");
		var filter = function () {
			var t = q.value.toLowerCase();
			$("sessions").querySelectorAll("tr").forEach(function (tr) {
				tr.hidden = !!t && tr.textContent.toLowerCase().indexOf(t) < 0 && !tr.querySelector("td[colspan]");
			});
		};
		q.addEventListener("input", filter);
		var es = new EventSource("/events");
		["peers", "sessions", "head"].forEach(function (k) {
			es.addEventListener(k, function (e) {
				var el = $(k);
				el.innerHTML = JSON.parse(e.data).html;
				fillCsrf(el);
				if (k === "sessions") filter();
			});
		});
	}

	/* ---- a chat (the chat page, the dashboard's console) ---- */
	var log = $("log");
	if (!log) return;
	var chan = log.dataset.chan, key = "cc-chat:" + chan, st;
	try { st = JSON.parse(localStorage.getItem(key)); } catch (x) { st = null; }
	if (!st || !st.items) st = { epoch: "", seq: 0, order: [], items: {} };
	var typing = $("typing"), typingTimer = 0;

	function save() {
		while (st.order.length > 400) delete st.items[st.order.shift()];
		for (var i = 0; i < 3; i++) {
			try { localStorage.setItem(key, JSON.stringify(st)); return; } catch (x) {
				st.order.splice(0, st.order.length >> 1).forEach(function (id) { delete st.items[id]; });
			}
		}
	}
	function near() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
	function button(label, fn, off) {
		var b = document.createElement("button");
		b.type = "button";
		b.textContent = label;
		b.disabled = !!off;
		b.addEventListener("click", fn);
		return b;
	}
	function answer(ev, value) {
		var p = new URLSearchParams();
		p.set("ref", ev.ref);
		p.set("value", value);
		post("/chat/" + chan + "/button", p).then(function (j) { if (j.error) banner(j.error); });
	}
	function render(ev) {
		var el = $("m-" + ev.id), fresh = !el, stick = near();
		if (fresh) {
			el = document.createElement("div");
			el.id = "m-" + ev.id;
		}
		el.className = "msg " + ev.k;
		el.innerHTML = ev.html || "";
		if (ev.k === "file") {
			var a = document.createElement("a");
			a.href = ev.url;
			a.setAttribute("download", ev.name);
			a.textContent = ev.name;
			var sz = document.createElement("small");
			sz.textContent = " (" + ev.size + " bytes) ";
			el.prepend(a, sz);
		}
		if (ev.k === "user" && ev.files && ev.files.length) {
			var f = document.createElement("small");
			f.textContent = "attached: " + ev.files.join(", ");
			el.append(f);
		}
		if (ev.k === "ask") {
			var opts = document.createElement("div"), chosen = {};
			opts.className = "opts";
			ev.options.forEach(function (o) {
				var b = button(o.label, function () {
					if (!ev.multi) return answer(ev, o.value);
					chosen[o.value] = !chosen[o.value];
					b.classList.toggle("on", chosen[o.value]);
				}, ev.answered !== undefined);
				opts.append(b);
			});
			if (ev.multi && ev.answered === undefined)
				opts.append(button("Done", function () {
					var v = ev.options.filter(function (o) { return chosen[o.value]; })
						.map(function (o) { return o.value; });
					if (v.length) answer(ev, v.join(","));
				}));
			el.append(opts);
			if (ev.answered !== undefined) {
				var s = document.createElement("small");
				s.textContent = "answered: " + ev.answered;
				el.append(s);
			}
		}
		if (fresh) log.append(el);
		if (stick) log.scrollTop = log.scrollHeight;
	}
	function apply(ev) {
		if (ev.k === "typing") {
			if (typing) {
				typing.hidden = false;
				clearTimeout(typingTimer);
				typingTimer = setTimeout(function () { typing.hidden = true; }, 5000);
			}
			return;
		}
		if (ev.k === "del") {
			var el = $("m-" + ev.id);
			if (el) el.remove();
			if (st.items[ev.id]) {
				delete st.items[ev.id];
				st.order = st.order.filter(function (i) { return i !== ev.id; });
			}
			return;
		}
		if (!st.items[ev.id]) st.order.push(ev.id);
		st.items[ev.id] = ev;
		render(ev);
	}

	log.textContent = "";
	st.order.forEach(function (id) { if (st.items[id]) render(st.items[id]); });
	log.scrollTop = log.scrollHeight;
	var src = new EventSource("/chat/" + chan + "/events?since=" +
		encodeURIComponent(st.epoch + "." + st.seq));
	src.addEventListener("hello", function (e) {
		var ep = JSON.parse(e.data).epoch;
		if (ep !== st.epoch) {
			st.epoch = ep;
			st.seq = 0;
		}
	});
	src.addEventListener("meta", function (e) {
		var m = $("meta");
		if (!m) return;
		m.outerHTML = JSON.parse(e.data).html;
		fillCsrf($("meta"));
		var h = document.querySelector("#meta h1");
		if (h) document.title = h.textContent + " · codecast";
	});
	src.onmessage = function (e) {
		var ev = JSON.parse(e.data);
		apply(ev);
		if (ev.seq > st.seq) st.seq = ev.seq;
		save();
	};

	var say = $("say"), text = say && say.querySelector('[name="text"]');
	if (text && text.tagName === "TEXTAREA")
		text.addEventListener("keydown", function (e) {
			if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
				e.preventDefault();
				say.requestSubmit();
			}
		});
	var up = $("upload");
	if (up) up.addEventListener("change", function () {
		var ids = say.querySelector('[name="files"]'), shown = $("attached");
		Array.prototype.forEach.call(up.files, function (file) {
			post("/chat/" + chan + "/upload?name=" + encodeURIComponent(file.name), file,
				"application/octet-stream").then(function (j) {
				if (j.error) return banner(file.name + ": " + j.error);
				ids.value = ids.value ? ids.value + "," + j.id : j.id;
				shown.textContent = (shown.textContent ? shown.textContent + ", " : "") + j.name;
				if (!text.value) text.required = false;
			});
		});
		up.value = "";
	});
})();
