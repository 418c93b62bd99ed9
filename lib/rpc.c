/* rpc.c — see rpc.h.  The JSON-RPC client (libcurl), the check that lets
 * stream events go to the output without a parse, and cc-rpc's run logic:
 * plain results, streams as NDJSON, completion of broken streams and of
 * queued messages with session.reconnect. */
#include "rpc.h"
#include "urlhost.h"

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "jsonscan.h"
#include "outq.h"
#include "util.h"

#define BODY_MAX	((size_t)256 << 20)	/* a plain reply */
#define ERRBODY_MAX	4096			/* what we keep of an error body */
#define ERRBODY_SHOW	200			/* what we show of it (upstream) */

/* ---------------------------------------------------------------- time */

/* -------------------------------------------------------------- target */

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool
valid_port(const char *s)
{
	long long v;

	return all_digits(s) && str_to_ll(s, 1, 65535, &v);
}

/* "sha256:HEX" with optional colons → lowercase "sha256:hex" (64 digits). */
static char *
normalize_fingerprint(const char *fp)
{
	struct buf b = { 0 };
	const char *p;
	size_t n = 0;

	if (strncasecmp(fp, "sha256:", 7) != 0)
		return NULL;
	buf_puts(&b, "sha256:");
	for (p = fp + 7; *p; p++) {
		if (*p == ':')
			continue;
		if (!isxdigit((unsigned char)*p)) {
			buf_free(&b);
			return NULL;
		}
		buf_putc(&b, (char)tolower((unsigned char)*p));
		n++;
	}
	if (n != 64) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

int
rpc_target_parse(struct rpc_target *t, const char *spec, const char *token,
    const char *fingerprint, char **errmsg)
{
	const char *p, *colon;

	memset(t, 0, sizeof(*t));
	*errmsg = NULL;
	for (p = spec; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			*errmsg = xasprintf("%s: target contains white space "
			    "or control characters", spec);
			return -1;
		}
	if (*spec == '\0') {
		*errmsg = xstrdup("empty target");
		return -1;
	}
	if (all_digits(spec)) {
		if (!valid_port(spec)) {
			*errmsg = xasprintf("%s: not a port (1-65535)", spec);
			return -1;
		}
		t->url = xasprintf("http://127.0.0.1:%s/rpc", spec);
	} else if (strncasecmp(spec, "http://", 7) == 0 ||
	    strncasecmp(spec, "https://", 8) == 0) {
		const char *rest = spec + (spec[4] == ':' ? 7 : 8);
		size_t n = strlen(spec);

		if (*rest == '\0' || *rest == '/') {
			*errmsg = xasprintf("%s: URL has no host", spec);
			return -1;
		}
		/* A doubled scheme (upstream's https://https://) is refused. */
		if (strncasecmp(rest, "http://", 7) == 0 ||
		    strncasecmp(rest, "https://", 8) == 0) {
			*errmsg = xasprintf("%s: doubled URL scheme", spec);
			return -1;
		}
		while (n > 0 && spec[n - 1] == '/')
			n--;
		if (n >= 4 && strncmp(spec + n - 4, "/rpc", 4) == 0 &&
		    (size_t)(rest - spec) < n - 4)
			t->url = xstrndup(spec, n);
		else
			t->url = xasprintf("%.*s/rpc", (int)n, spec);
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL || colon == spec || !valid_port(colon + 1) ||
		    (spec[0] != '[' && memchr(spec, ':', (size_t)(colon - spec))) ||
		    (spec[0] == '[' && colon[-1] != ']') || strchr(spec, '/')) {
			*errmsg = xasprintf("%s: target is not PORT, HOST:PORT "
			    "or an http(s):// URL", spec);
			return -1;
		}
		t->url = xasprintf("http://%s/rpc", spec);
	}
	if (fingerprint && *fingerprint) {
		t->fingerprint = normalize_fingerprint(fingerprint);
		if (t->fingerprint == NULL) {
			*errmsg = xasprintf("%s: fingerprint is not sha256: "
			    "and 64 hex digits", fingerprint);
			rpc_target_free(t);
			return -1;
		}
	}
	if (token && *token) {
		if (strpbrk(token, "\r\n")) {
			*errmsg = xstrdup("token contains a line break");
			rpc_target_free(t);
			return -1;
		}
		t->token = xstrdup(token);
	}
	return 0;
}

int
rpc_target_local_port(const struct rpc_target *t)
{
	int port;
	char *h = url_host(t->url, &port);
	bool local = h && host_is_loopback(h);

	free(h);
	return local ? port : 0;
}

bool
rpc_target_cleartext(const struct rpc_target *t)
{
	return t->token != NULL && !t->insecure && url_cleartext(t->url);
}

void
rpc_target_free(struct rpc_target *t)
{
	free(t->url);
	if (t->token) {
		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
	}
	free(t->fingerprint);
	free(t->cacert);
	memset(t, 0, sizeof(*t));
}

void
rpc_error_free(struct rpc_error *e)
{
	if (e == NULL)
		return;
	free(e->message);
	e->message = NULL;
}

int
rpc_exit_code(enum rpc_status s)
{
	switch (s) {
	case RPC_OK:
		return 0;
	case RPC_ERR_RPC:
	case RPC_ERR_HTTP:
	case RPC_ERR_ABORTED:
		return 1;
	case RPC_ERR_TRANSPORT:
		return 3;
	case RPC_ERR_TIMEOUT:
		return 4;
	}
	return 3;
}

/* ------------------------------------------------------------------ TLS */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int fp_index = -1;	/* SSL_CTX ex_data slot for the pin */

static void
do_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(1, "curl_global_init failed");
	fp_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

void
rpc_global_init(void)
{
	pthread_once(&init_once, do_global_init);
}

static int
hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

static bool
digest_equal(const unsigned char *a, const unsigned char *b)
{
	unsigned char d = 0;

	for (int i = 0; i < 32; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Does the certificate's SHA-256 match?  Accepted forms: over the DER
 * (what `openssl x509 -fingerprint -sha256` shows) and over its PEM text
 * with LF or CRLF line ends (what the upstream daemon logs). */
static bool
cert_matches(X509 *cert, const unsigned char *want)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	BIO *bio;
	char *pem;
	long pemlen;
	bool ok = false;

	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32 &&
	    digest_equal(md, want))
		return true;
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return false;
	if (PEM_write_bio_X509(bio, cert) == 1 &&
	    (pemlen = BIO_get_mem_data(bio, &pem)) > 0) {
		struct buf crlf = { 0 };

		if (EVP_Digest(pem, (size_t)pemlen, md, &mdlen, EVP_sha256(),
		    NULL) == 1 && digest_equal(md, want))
			ok = true;
		for (long i = 0; !ok && i < pemlen; i++) {
			if (pem[i] == '\n')
				buf_putc(&crlf, '\r');
			buf_putc(&crlf, pem[i]);
		}
		if (!ok && crlf.len && EVP_Digest(crlf.s, crlf.len, md, &mdlen,
		    EVP_sha256(), NULL) == 1 && digest_equal(md, want))
			ok = true;
		buf_free(&crlf);
	}
	BIO_free(bio);
	return ok;
}

/* What the handshake checks against, and what it found. */
struct pin {
	unsigned char want[32];
	bool mismatch;
	char got[65];		/* the DER SHA-256 seen, hex, on mismatch */
};

static int
verify_pinned(int preverify, X509_STORE_CTX *sc)
{
	SSL *ssl;
	struct pin *pin;
	X509 *cert;

	(void)preverify;
	/* Only the server's own certificate is judged: the pin replaces the
	 * chain (a self-signed daemon certificate has none). */
	if (X509_STORE_CTX_get_error_depth(sc) > 0)
		return 1;
	ssl = X509_STORE_CTX_get_ex_data(sc,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL)
		return 0;
	pin = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), fp_index);
	cert = X509_STORE_CTX_get_current_cert(sc);
	if (pin == NULL || cert == NULL)
		return 0;
	if (!cert_matches(cert, pin->want)) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int n = 0;

		pin->mismatch = true;
		if (X509_digest(cert, EVP_sha256(), md, &n) == 1 && n == 32)
			for (unsigned i = 0; i < 32; i++)
				snprintf(pin->got + 2 * i, 3, "%02x", md[i]);
		X509_STORE_CTX_set_error(sc, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	X509_STORE_CTX_set_error(sc, X509_V_OK);
	return 1;
}

/* CURLOPT_SSL_CTX_FUNCTION: runs before the handshake, so a certificate
 * that does not match aborts it before the request (and the bearer token)
 * is sent — which CURLINFO_CERTINFO, only known after the transfer, could
 * not guarantee. */
static CURLcode
ssl_ctx_pin(CURL *h, void *sslctx, void *arg)
{
	SSL_CTX *ctx = sslctx;

	(void)h;
	if (SSL_CTX_set_ex_data(ctx, fp_index, arg) != 1)
		return CURLE_SSL_CERTPROBLEM;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_pinned);
	return CURLE_OK;
}

/* ------------------------------------------------------------ transfer */

static char *dump_compact(json_t *v);

enum mode { M_UNKNOWN, M_BODY, M_SSE, M_ERRBODY };

struct xfer {
	const struct rpc_stream_opts *o;
	CURL *h;
	enum mode mode;
	long status;
	struct buf body;
	struct sse_parser sse;
	bool sse_init;
	bool too_long;		/* an SSE line/event over the limit */
	bool body_too_long;
	bool stopped;		/* a callback asked to stop */
	bool idle;		/* the idle limit fired */
	long long last;		/* when bytes last arrived */
	char errbuf[CURL_ERROR_SIZE];
};

static void
decide_mode(struct xfer *x)
{
	char *ct = NULL;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct);
	if (x->status >= 400)
		x->mode = M_ERRBODY;
	else if (ct && strncasecmp(ct, "text/event-stream", 17) == 0)
		x->mode = M_SSE;
	else
		x->mode = M_BODY;
}

static int
sse_cb(void *arg, const struct sse_event *ev)
{
	struct xfer *x = arg;

	return x->o->on_event ? x->o->on_event(x->o->arg, ev) : 0;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	int r;

	x->last = monotonic_ms();
	if (x->mode == M_UNKNOWN)
		decide_mode(x);
	switch (x->mode) {
	case M_ERRBODY:
		if (x->body.len < ERRBODY_MAX)
			buf_append(&x->body, ptr, n < ERRBODY_MAX -
			    x->body.len ? n : ERRBODY_MAX - x->body.len);
		return n;
	case M_BODY:
		if (n > BODY_MAX - x->body.len) {
			x->body_too_long = true;
			return 0;
		}
		buf_append(&x->body, ptr, n);
		return n;
	case M_SSE:
		if (!x->sse_init) {
			sse_init(&x->sse, x->o->max_event, sse_cb, x);
			x->sse_init = true;
		}
		r = sse_feed(&x->sse, ptr, n);
		if (r == SSE_TOO_LONG) {
			x->too_long = true;
			return 0;
		}
		if (r != 0) {
			x->stopped = true;
			return 0;
		}
		if (x->o->on_chunk && x->o->on_chunk(x->o->arg) != 0) {
			x->stopped = true;
			return 0;
		}
		return n;
	case M_UNKNOWN:
		break;
	}
	return 0;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
    curl_off_t un)
{
	struct xfer *x = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (x->o->idle_ms > 0 && monotonic_ms() - x->last >= x->o->idle_ms) {
		x->idle = true;
		return 1;
	}
	return 0;
}

/* One line, at most ERRBODY_SHOW bytes, never cut inside a character. */
static char *
one_line(const char *s, size_t n)
{
	struct buf b = { 0 };

	n = utf8_cut(s, n > ERRBODY_SHOW ? ERRBODY_SHOW : n);
	for (size_t i = 0; i < n; i++)
		buf_putc(&b, (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') ?
		    ' ' : s[i]);
	str_trim(b.s ? b.s : (char *)"");
	return buf_steal(&b);
}

static void
set_error(struct rpc_error *err, enum rpc_status st, long code, char *msg)
{
	if (err == NULL) {
		free(msg);
		return;
	}
	err->status = st;
	err->code = code;
	err->message = msg;
}

/* The reply body of a plain call → result or error. */
static enum rpc_status
parse_reply(const char *s, size_t n, json_t **result, struct rpc_error *err)
{
	json_error_t je;
	json_t *v, *e, *r;

	v = json_loadb(s, n, JSON_DECODE_ANY, &je);
	if (v == NULL || !json_is_object(v)) {
		char *l = one_line(s, n);

		set_error(err, RPC_ERR_TRANSPORT, -1, xasprintf("reply is not "
		    "a JSON object: %s", v ? l : je.text));
		free(l);
		json_decref(v);
		return RPC_ERR_TRANSPORT;
	}
	e = json_object_get(v, "error");
	if (e && !json_is_null(e) && !(json_is_false(e))) {
		json_t *c = json_is_object(e) ? json_object_get(e, "code") : NULL;
		json_t *m = json_is_object(e) ? json_object_get(e, "message") : NULL;
		const char *ms = json_is_string(m) ? json_string_value(m) :
		    json_is_string(e) ? json_string_value(e) : "Unknown error";
		char *l = one_line(ms, strlen(ms));

		if (l[0] == '\0') {
			free(l);
			l = xstrdup("Unknown error");
		}
		set_error(err, RPC_ERR_RPC, json_is_integer(c) ?
		    (long)json_integer_value(c) : -1, l);
		json_decref(v);
		return RPC_ERR_RPC;
	}
	r = json_object_get(v, "result");
	if (result)
		*result = (r && !json_is_null(r)) ? json_incref(r) :
		    json_object();
	json_decref(v);
	return RPC_OK;
}

enum rpc_status
rpc_stream(const struct rpc_target *t, const char *method, json_t *params,
    const struct rpc_stream_opts *o, json_t **result, struct rpc_error *err)
{
	struct xfer x;
	struct curl_slist *hdr = NULL;
	json_t *req;
	char *body, *auth = NULL;
	struct pin pin;
	CURLcode cc;
	enum rpc_status st = RPC_OK;

	rpc_global_init();
	if (result)
		*result = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (rpc_target_cleartext(t)) {
		set_error(err, RPC_ERR_TRANSPORT, -1, xasprintf("%s: refusing "
		    "to send the token in clear text over http:// to a host "
		    "that is not loopback (use https://, or --insecure)",
		    t->url));
		return RPC_ERR_TRANSPORT;
	}
	memset(&x, 0, sizeof(x));
	memset(&pin, 0, sizeof(pin));
	x.o = o;

	req = json_pack("{s:s}", "method", method);
	if (req == NULL)
		errx(1, "json_pack failed");
	if (params && !(json_is_object(params) && json_object_size(params) == 0))
		json_object_set(req, "params", params);
	body = dump_compact(req);
	json_decref(req);
	if (body == NULL)
		errx(1, "json_dumps failed");

	if ((x.h = curl_easy_init()) == NULL)
		errx(1, "curl_easy_init failed");
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: application/json, text/event-stream");
	hdr = curl_slist_append(hdr, "Expect:");
	if (t->token) {
		auth = xasprintf("Authorization: Bearer %s", t->token);
		hdr = curl_slist_append(hdr, auth);
	}
	if (hdr == NULL)
		errx(1, "curl_slist_append failed");

	curl_easy_setopt(x.h, CURLOPT_URL, t->url);
	curl_easy_setopt(x.h, CURLOPT_POST, 1L);
	curl_easy_setopt(x.h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(x.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(x.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x.h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(x.h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(x.h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(x.h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x.h, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, x.errbuf);
	curl_easy_setopt(x.h, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(x.h, CURLOPT_USERAGENT, "cc-rpc/" CC_VERSION);
	if (o->total_ms > 0)
		curl_easy_setopt(x.h, CURLOPT_TIMEOUT_MS, o->total_ms);
	curl_easy_setopt(x.h, CURLOPT_CONNECTTIMEOUT_MS,
	    (o->total_ms > 0 && o->total_ms < 15000) ? o->total_ms : 15000L);
	if (o->idle_ms > 0) {
		curl_easy_setopt(x.h, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(x.h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(x.h, CURLOPT_XFERINFODATA, &x);
	}
	if (t->cacert)
		curl_easy_setopt(x.h, CURLOPT_CAINFO, t->cacert);
	if (t->fingerprint) {
		for (int i = 0; i < 32; i++)
			pin.want[i] = (unsigned char)(hexval(t->fingerprint[7 + 2 * i]) << 4 |
			    hexval(t->fingerprint[8 + 2 * i]));
		curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(x.h, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(x.h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
		if (curl_easy_setopt(x.h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_pin) !=
		    CURLE_OK)
			errx(1, "libcurl lacks CURLOPT_SSL_CTX_FUNCTION");
		curl_easy_setopt(x.h, CURLOPT_SSL_CTX_DATA, &pin);
	}

	x.last = monotonic_ms();
	cc = curl_easy_perform(x.h);
	if (x.mode == M_UNKNOWN && cc == CURLE_OK)
		decide_mode(&x);

	if (cc == CURLE_OK) {
		if (x.mode == M_ERRBODY) {
			char *l = one_line(x.body.s ? x.body.s : "", x.body.len);

			set_error(err, RPC_ERR_HTTP, x.status, xasprintf(
			    "HTTP %ld: %s", x.status, l));
			free(l);
			st = RPC_ERR_HTTP;
		} else if (x.mode == M_BODY) {
			st = parse_reply(x.body.s ? x.body.s : "", x.body.len,
			    result, err);
		}
	} else if (pin.mismatch) {
		st = RPC_ERR_TRANSPORT;
		set_error(err, st, -1, xasprintf("TLS certificate sha256:%s does "
		    "not match the pinned %s", pin.got[0] ? pin.got : "?",
		    t->fingerprint));
	} else if (x.stopped) {
		st = RPC_ERR_ABORTED;
		set_error(err, st, -1, xstrdup("stopped"));
	} else if (x.too_long) {
		st = RPC_ERR_TRANSPORT;
		set_error(err, st, -1, xasprintf("event longer than %zu bytes",
		    x.sse.max));
		if (err)
			err->maybe_sent = err->protocol = true;
	} else if (x.body_too_long) {
		st = RPC_ERR_TRANSPORT;
		set_error(err, st, -1, xasprintf("reply longer than %zu bytes",
		    BODY_MAX));
		if (err)
			err->maybe_sent = err->protocol = true;
	} else if (x.idle || cc == CURLE_OPERATION_TIMEDOUT) {
		st = RPC_ERR_TIMEOUT;
		if (x.idle)
			set_error(err, st, -1, xasprintf("Stream idle timeout "
			    "(%lds with no events). Session may be stuck.",
			    (o->idle_ms + 999) / 1000));
		else
			set_error(err, st, -1, xasprintf("Timeout (%lds in "
			    "total)", (o->total_ms + 999) / 1000));
		if (err) {
			err->idle = x.idle;
			err->maybe_sent = true;
		}
	} else {
		long oserr = 0;
		const char *why = x.errbuf[0] ? x.errbuf : curl_easy_strerror(cc);

		st = RPC_ERR_TRANSPORT;
		curl_easy_getinfo(x.h, CURLINFO_OS_ERRNO, &oserr);
		if (oserr != 0 && strstr(why, strerror((int)oserr)) == NULL)
			set_error(err, st, -1, xasprintf("%s (%s)", why,
			    strerror((int)oserr)));
		else
			set_error(err, st, -1, xstrdup(why));
		if (err)
			err->maybe_sent = !(cc == CURLE_COULDNT_CONNECT ||
			    cc == CURLE_COULDNT_RESOLVE_HOST ||
			    cc == CURLE_COULDNT_RESOLVE_PROXY ||
			    cc == CURLE_SSL_CONNECT_ERROR ||
			    cc == CURLE_PEER_FAILED_VERIFICATION ||
			    cc == CURLE_UNSUPPORTED_PROTOCOL ||
			    cc == CURLE_URL_MALFORMAT);
	}

	curl_easy_cleanup(x.h);
	curl_slist_free_all(hdr);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(body);
	buf_free(&x.body);
	if (x.sse_init)
		sse_free(&x.sse);
	return st;
}

/* rpc_call on an event stream: collect the events' data. */
static int
collect_event(void *arg, const struct sse_event *ev)
{
	json_t *arr = arg, *v;

	if (strcmp(ev->data, "[DONE]") == 0)
		return 1;
	v = json_loadb(ev->data, ev->data_len, JSON_DECODE_ANY, NULL);
	if (v)
		json_array_append_new(arr, v);
	return 0;
}

enum rpc_status
rpc_call(const struct rpc_target *t, const char *method, json_t *params,
    long timeout_ms, json_t **result, struct rpc_error *err)
{
	struct rpc_stream_opts o = { 0 };
	json_t *events = json_array(), *res = NULL;
	enum rpc_status st;

	o.total_ms = timeout_ms;
	o.on_event = collect_event;
	o.arg = events;
	st = rpc_stream(t, method, params, &o, &res, err);
	if (st == RPC_ERR_ABORTED) {	/* [DONE] */
		rpc_error_free(err);
		if (err)
			memset(err, 0, sizeof(*err));
		st = RPC_OK;
	}
	if (st == RPC_OK && res == NULL) {
		res = events;
		events = NULL;
	}
	json_decref(events);
	if (result)
		*result = res;
	else
		json_decref(res);
	return st;
}

/* ---------------------------------------------------------- JSON check */

static enum rpc_event_kind
kind_of(const char *type, size_t n)
{
	if (type == NULL)
		return EV_OTHER;
	if (n == 4 && memcmp(type, "ping", 4) == 0)
		return EV_PING;
	if (n == 6 && memcmp(type, "result", 6) == 0)
		return EV_RESULT;
	if (n == 5 && memcmp(type, "error", 5) == 0)
		return EV_ERROR;
	if (n == 6 && memcmp(type, "queued", 6) == 0)
		return EV_QUEUED;
	return EV_OTHER;
}

static enum rpc_event_kind
json_kind(const json_t *v)
{
	const char *t = json_string_value(json_object_get(v, "type"));

	return t ? kind_of(t, strlen(t)) : EV_OTHER;
}

/* The kind a scanned "type" field (written without escapes) names. */
static enum rpc_event_kind
scanned_kind(const struct jsonscan_field *f)
{
	return f->val && f->val[0] == '"' ? kind_of(f->val + 1, f->vlen - 2) :
	    EV_OTHER;
}

enum rpc_event_kind
rpc_event_classify(const char *data, size_t len, enum rpc_event_form *form)
{
	struct jsonscan_field f = { .key = "type", .klen = 4 };
	unsigned seen;
	json_t *v;
	enum rpc_event_kind k;
	int r;

	*form = RPC_FORM_SKIP;
	if (len == 6 && memcmp(data, "[DONE]", 6) == 0)
		return EV_DONE;
	r = jsonscan(data, len, &f, 1, &seen);
	if (r == JSONSCAN_INVALID)
		return EV_INVALID;
	if (r == JSONSCAN_TOO_DEEP) {
		*form = RPC_FORM_PARSE;
		return EV_OTHER;	/* the caller's parse tells */
	}
	*form = (seen & JSONSCAN_SPACE) ? RPC_FORM_STRIP : RPC_FORM_AS_IS;
	if (!(seen & JSONSCAN_ESCKEY) && f.count <= 1 && !f.escaped)
		return scanned_kind(&f);
	/* In doubt: ask a parser.  jansson refuses a few valid texts (a
	 * \u0000 in a key, integers beyond 64 bits); the scan's answer is
	 * the best left then. */
	v = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (v != NULL) {
		k = json_kind(v);
		json_decref(v);
		return k;
	}
	return f.count == 1 && !f.escaped ? scanned_kind(&f) : EV_OTHER;
}

/* ------------------------------------------------------------ cc-rpc run */

struct run {
	const struct rpc_run_opts *o;
	const char *method;
	struct buf out;		/* pending output, flushed per chunk */
	struct outq *q;		/* the writer thread while a stream runs */
	bool q_tried;
	bool out_failed;
	bool done;		/* [DONE] seen */
	bool terminal;		/* result or error seen */
	bool error_seen;
	bool after_result;	/* the last event printed was a result */
	long queued;		/* position of a queued reply, 0: none */
	size_t events;		/* events printed */
};

/* A write failed (errno): 1. */
static int
out_failed(struct run *r)
{
	if (errno == EPIPE) {
		/* The reader is gone (`| head -1`): end as a filter does,
		 * by SIGPIPE, without a word. */
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	warn("%s: write", r->method);
	r->out_failed = true;
	return 1;
}

static int
flush_out(struct run *r)
{
	int w;

	if (r->out_failed)
		return 1;
	if (r->q)
		w = outq_put(r->q, &r->out);
	else if (r->out.len == 0)
		return 0;
	else
		w = write_all(r->o->out_fd, r->out.s, r->out.len);
	if (w == -1)
		return out_failed(r);
	buf_clear(&r->out);
	return 0;
}

static void
note_kind(struct run *r, enum rpc_event_kind k)
{
	if (k == EV_RESULT) {
		r->terminal = true;
		r->after_result = true;
		return;
	}
	if (k == EV_ERROR) {
		r->terminal = true;
		r->error_seen = true;
	}
	r->after_result = false;
}

/* Compact JSON text of v.  Reals get the fewest digits (15, 16 or 17, for
 * the whole text) that read back exactly, like the daemon's own output,
 * rather than jansson's fixed 17 (0.0012, not 0.0011999999999999999). */
static char *
dump_compact(json_t *v)
{
	const size_t f = JSON_COMPACT | JSON_ENCODE_ANY;
	char *s;

	for (int prec = 15; prec < 17; prec++) {
		json_t *back;

		s = json_dumps(v, f | JSON_REAL_PRECISION(prec));
		if (s == NULL)
			return NULL;
		if (strpbrk(s, ".eE") == NULL)
			return s;	/* no reals: exact */
		back = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (back && json_equal(back, v)) {
			json_decref(back);
			return s;
		}
		json_decref(back);
		free(s);
	}
	return json_dumps(v, f | JSON_REAL_PRECISION(17));
}

/* Where a queued reply stands: its "position", 1 when unreadable. */
static long
queued_position(const json_t *v)
{
	json_t *p = json_object_get(v, "position");

	return json_is_integer(p) && json_integer_value(p) > 0 &&
	    json_integer_value(p) <= LONG_MAX ? (long)json_integer_value(p) : 1;
}

/* Print a parsed event (reconnect results, slow path). */
static void
put_json(struct run *r, json_t *v, enum rpc_event_kind k)
{
	char *s;

	if (k == EV_PING && !r->o->pings)
		return;
	s = dump_compact(v);
	if (s == NULL) {
		warnx("%s: cannot serialise an event", r->method);
		return;
	}
	buf_puts(&r->out, s);
	buf_putc(&r->out, '\n');
	free(s);
	r->events++;
	if (k == EV_QUEUED)
		r->queued = queued_position(v);
	note_kind(r, k);
}

static int
on_stream_event(void *arg, const struct sse_event *ev)
{
	struct run *r = arg;
	enum rpc_event_form form;
	enum rpc_event_kind k;
	size_t n;

	k = rpc_event_classify(ev->data, ev->data_len, &form);
	if (k == EV_DONE) {
		r->done = true;
		return 1;
	}
	if (form == RPC_FORM_PARSE) {
		json_t *v = json_loadb(ev->data, ev->data_len,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		if (v != NULL) {
			put_json(r, v, json_kind(v));
			json_decref(v);
			return 0;
		}
		form = RPC_FORM_SKIP;
	}
	if (form == RPC_FORM_SKIP) {
		/* An empty "data:" is no event for us (upstream skips it
		 * silently too); other non-JSON data is worth a word. */
		if (ev->data_len > 0)
			warnx("%s: skipping an event that is not JSON",
			    r->method);
		return 0;
	}
	if (k == EV_PING && !r->o->pings)
		return 0;
	buf_reserve(&r->out, ev->data_len + 1);
	if (form == RPC_FORM_AS_IS) {
		memcpy(r->out.s + r->out.len, ev->data, ev->data_len);
		n = ev->data_len;
	} else
		n = jsonscan_strip(r->out.s + r->out.len, ev->data,
		    ev->data_len);
	r->out.len += n;
	r->out.s[r->out.len++] = '\n';
	r->out.s[r->out.len] = '\0';
	r->events++;
	if (k == EV_QUEUED) {
		json_t *v = json_loadb(ev->data, ev->data_len,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);

		r->queued = queued_position(v);
		json_decref(v);
	}
	note_kind(r, k);
	return 0;
}

/* While a stream runs, its lines are written by a thread of their own so
 * that reading and writing overlap (see outq.h); without one, directly. */
static int
on_stream_chunk(void *arg)
{
	struct run *r = arg;

	if (r->q == NULL && !r->q_tried) {
		r->q_tried = true;
		r->q = outq_open(r->o->out_fd, 0);
	}
	return flush_out(r);
}

/* The stream is over: everything of it written before anything else. */
static void
stream_done(struct run *r)
{
	struct outq *q = r->q;

	if (q == NULL)
		return;
	r->q = NULL;
	if (outq_close(q) == -1 && !r->out_failed)
		out_failed(r);
}

/* A synthetic error event, as upstream's client prints. */
static void
put_synthetic(struct run *r, const char *msg)
{
	json_t *v = json_pack("{s:s,s:s}", "type", "error", "message", msg);

	if (v == NULL)
		return;
	put_json(r, v, EV_ERROR);
	json_decref(v);
	flush_out(r);
}

static void
report(const struct run *r, const struct rpc_error *e)
{
	if (e->status == RPC_ERR_RPC)
		warnx("%s: %ld: %s", r->method, e->code, e->message);
	else
		warnx("%s: %s", r->method, e->message ? e->message : "failed");
}

/* One session.reconnect: the buffered events, or NULL with *e set. */
static json_t *
reconnect_once(const struct rpc_target *t, const struct run *r,
    long timeout_ms, struct rpc_error *e)
{
	json_t *params, *res = NULL, *ev;

	params = json_pack("{s:s}", "sessionId", r->o->session_id);
	if (params == NULL)
		errx(1, "json_pack failed");
	if (rpc_call(t, "session.reconnect", params, timeout_ms, &res, e) !=
	    RPC_OK) {
		json_decref(params);
		return NULL;
	}
	json_decref(params);
	ev = json_object_get(res, "bufferedEvents");
	ev = json_is_array(ev) ? json_incref(ev) : json_array();
	json_decref(res);
	return ev;
}

static bool
retryable(const struct rpc_error *e)
{
	return e->status == RPC_ERR_TRANSPORT || e->status == RPC_ERR_TIMEOUT ||
	    (e->status == RPC_ERR_HTTP && e->code >= 500);
}

/* Poll session.reconnect until the reply has its terminal event.  skip:
 * replies of earlier messages to pass over (--follow).  Returns the exit
 * status. */
static int
complete(const struct rpc_target *t, struct run *r, long skip,
    long budget_ms, long long deadline, bool idle_cause)
{
	long long last_progress = monotonic_ms();
	long delay = 100;
	bool skip_after_result = false;
	bool unreachable = false, hit_deadline = false;
	char *why = NULL;

	r->terminal = false;
	while (!r->terminal) {
		struct rpc_error e;
		json_t *evs;
		long long now = monotonic_ms();
		long tmo = 10000;

		if (deadline && now >= deadline) {
			hit_deadline = true;
			break;
		}
		if (deadline && deadline - now < tmo)
			tmo = (long)(deadline - now);
		evs = reconnect_once(t, r, tmo, &e);
		if (evs == NULL) {
			if (!retryable(&e)) {
				report(r, &e);
				if (r->o->stream)
					put_synthetic(r, e.message);
				rpc_error_free(&e);
				free(why);
				return 1;
			}
			unreachable = true;
			free(why);
			why = e.message;
			e.message = NULL;
		} else {
			size_t i;
			json_t *v;

			unreachable = false;
			if (json_array_size(evs) > 0) {
				last_progress = monotonic_ms();
				delay = 100;
			}
			json_array_foreach(evs, i, v) {
				enum rpc_event_kind k = json_kind(v);

				if (r->terminal) {
					/* The reply is complete: an error
					 * right after its result still
					 * belongs to it; the rest is a
					 * later message's. */
					if (k == EV_ERROR && r->after_result)
						put_json(r, v, k);
					else
						warnx("%s: dropping %zu buffered "
						    "events of later messages",
						    r->method, json_array_size(evs) - i);
					if (k != EV_ERROR || !r->after_result)
						break;
					continue;
				}
				if (skip > 0) {
					if (k == EV_RESULT) {
						skip--;
						skip_after_result = true;
					} else if (k == EV_ERROR) {
						if (!skip_after_result)
							skip--;
						skip_after_result = false;
					} else
						skip_after_result = false;
					continue;
				}
				if (k == EV_ERROR && skip_after_result) {
					/* The previous reply's abnormal
					 * exit after its result. */
					skip_after_result = false;
					continue;
				}
				skip_after_result = false;
				put_json(r, v, k);
			}
			json_decref(evs);
			if (flush_out(r) != 0) {
				free(why);
				return 3;
			}
		}
		if (r->terminal)
			break;
		if (monotonic_ms() - last_progress >= budget_ms)
			break;
		sleep_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
	if (r->terminal) {
		free(why);
		return r->error_seen ? 1 : 0;
	}
	if (hit_deadline) {
		char *m = xasprintf("Timeout (%lds in total)",
		    (r->o->total_ms + 999) / 1000);

		warnx("%s: %s", r->method, m);
		if (r->o->stream)
			put_synthetic(r, m);
		free(m);
		free(why);
		return 4;
	}
	if (unreachable && !idle_cause) {
		char *m = xasprintf("Connection error: %s", why ? why :
		    "daemon unreachable");

		warnx("%s: %s: gave up completing the reply", r->method, m);
		if (r->o->stream)
			put_synthetic(r, m);
		free(m);
		free(why);
		return 3;
	}
	{
		long secs = idle_cause ? (r->o->idle_ms + 999) / 1000 :
		    (budget_ms + 999) / 1000;
		char *m = xasprintf("Stream idle timeout (%lds with no events)."
		    " Session may be stuck.", secs);

		warnx("%s: %s", r->method, m);
		put_synthetic(r, m);
		free(m);
	}
	free(why);
	return 4;
}

static int
print_result(struct run *r, json_t *res)
{
	if (strcmp(r->method, "session.reconnect") == 0 &&
	    json_is_array(json_object_get(res, "bufferedEvents"))) {
		size_t i;
		json_t *v;

		json_array_foreach(json_object_get(res, "bufferedEvents"), i, v)
			put_json(r, v, json_kind(v));
		if (flush_out(r) != 0)
			return 3;
		return r->error_seen ? 1 : 0;
	}
	put_json(r, res, EV_OTHER);
	return flush_out(r) != 0 ? 3 : 0;
}

int
rpc_run(const struct rpc_target *t, const char *method, json_t *params,
    const struct rpc_run_opts *o)
{
	struct run r;
	struct rpc_stream_opts so = { 0 };
	struct rpc_error e;
	json_t *res = NULL;
	enum rpc_status st;
	long long start = monotonic_ms(), deadline = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.method = method;
	if (o->total_ms > 0)
		deadline = start + o->total_ms;
	so.total_ms = o->total_ms;
	so.idle_ms = o->idle_ms;
	so.max_event = o->max_event;
	so.on_event = on_stream_event;
	so.on_chunk = on_stream_chunk;
	so.arg = &r;

	st = rpc_stream(t, method, params, &so, &res, &e);
	if (st == RPC_ERR_ABORTED && !r.out_failed) {
		st = RPC_OK;	/* stopped at [DONE] */
		rpc_error_free(&e);
	}
	flush_out(&r);
	stream_done(&r);
	if (r.out_failed) {
		rpc_error_free(&e);
		json_decref(res);
		buf_free(&r.out);
		return 3;
	}
	if (st == RPC_OK && res) {
		rc = print_result(&r, res);
		json_decref(res);
		buf_free(&r.out);
		return rc;
	}

	/* An event stream (or a failure). */
	/* A reply is complete after its result or error, or after a queued
	 * event (the daemon runs that message later), or at [DONE]; a stream
	 * that breaks after that point has lost nothing. */
	if ((st == RPC_OK && r.done) || r.terminal || r.queued) {
		rpc_error_free(&e);
		rc = r.error_seen ? 1 : 0;
		if (r.queued && !r.terminal && o->follow && o->session_id)
			rc = complete(t, &r, r.queued - 1, o->retry_ms >
			    o->idle_ms ? o->retry_ms : o->idle_ms, deadline,
			    false);
		buf_free(&r.out);
		return rc;
	}
	if (st == RPC_ERR_HTTP || st == RPC_ERR_RPC ||
	    (st == RPC_ERR_TRANSPORT && (!e.maybe_sent || e.protocol)) ||
	    (st == RPC_ERR_TIMEOUT && !e.idle) || o->session_id == NULL) {
		if (st == RPC_OK) {
			/* EOF without [DONE] and nothing to complete with. */
			if (r.events == 0 && !o->stream) {
				buf_free(&r.out);
				return 0;
			}
			e.status = RPC_ERR_TRANSPORT;
			e.message = xstrdup("stream ended before its last event");
			st = RPC_ERR_TRANSPORT;
		}
		report(&r, &e);
		if (o->stream || r.events > 0) {
			if (st == RPC_ERR_TRANSPORT) {
				char *m = xasprintf("Connection error: %s",
				    e.message);

				put_synthetic(&r, m);
				free(m);
			} else
				put_synthetic(&r, e.message);
		}
		rc = rpc_exit_code(st);
		rpc_error_free(&e);
		buf_free(&r.out);
		return rc;
	}
	/* Broken before its terminal event: EOF without [DONE], a reset,
	 * an idle timeout.  What the daemon could not write it buffered. */
	if (st != RPC_OK) {
		warnx("%s: %s [completing with session.reconnect]", method,
		    e.message);
	} else
		warnx("%s: stream ended before its last event; completing "
		    "with session.reconnect", method);
	rc = complete(t, &r, 0, o->retry_ms, deadline,
	    st == RPC_ERR_TIMEOUT && e.idle);
	rpc_error_free(&e);
	buf_free(&r.out);
	return rc;
}
