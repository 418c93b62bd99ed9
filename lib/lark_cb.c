/* lark_cb.c — Lark's HTTP callback mode.  See lark_cb.h. */
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "lark_cb.h"
#include "lark_event.h"
#include "listen.h"
#include "util.h"

#define CB_MAX_BODY	(4u << 20)

struct lark_cb {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	char *key, *token;
	lark_cb_fn fn;
	void *arg;
	int port;
};

/* ---- crypto -------------------------------------------------------------------- */

static unsigned char *
b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int k;

	if (n == 0 || n % 4 != 0 || n > (64u << 20))
		return NULL;
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	out = xmalloc(n / 4 * 3 + 1);
	k = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (k < 0 || (size_t)k < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)k - pad;
	return out;
}

char *
lark_cb_decrypt(const char *key, const char *b64, size_t *len)
{
	unsigned char k[SHA256_DIGEST_LENGTH], *raw, *out;
	size_t rn;
	int n1 = 0, n2 = 0;
	EVP_CIPHER_CTX *ctx;

	if (key == NULL || b64 == NULL || (raw = b64_decode(b64, &rn)) == NULL)
		return NULL;
	if (rn < 32 || (rn - 16) % 16 != 0) {
		free(raw);
		return NULL;
	}
	SHA256((const unsigned char *)key, strlen(key), k);
	ctx = EVP_CIPHER_CTX_new();
	out = xmalloc(rn + 1);
	if (ctx == NULL || EVP_DecryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, k, raw) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n1, raw + 16, (int)(rn - 16)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n1, &n2) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		free(raw);
		free(out);
		return NULL;
	}
	EVP_CIPHER_CTX_free(ctx);
	free(raw);
	*len = (size_t)(n1 + n2);
	out[*len] = '\0';
	return (char *)out;
}

char *
lark_cb_encrypt(const char *key, const char *plain, size_t len)
{
	unsigned char k[SHA256_DIGEST_LENGTH], *buf;
	char *b64;
	int n1 = 0, n2 = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	SHA256((const unsigned char *)key, strlen(key), k);
	buf = xmalloc(16 + len + 32);
	if (ctx == NULL || RAND_bytes(buf, 16) != 1 ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, k, buf) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + 16, &n1, (const unsigned char *)plain,
	    (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + 16 + n1, &n2) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		free(buf);
		return NULL;
	}
	EVP_CIPHER_CTX_free(ctx);
	len = 16 + (size_t)(n1 + n2);
	b64 = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, buf, (int)len);
	free(buf);
	return b64;
}

char *
lark_cb_signature(const char *ts, const char *nonce, const char *key, const char *body,
    size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char *hex = xmalloc(2 * SHA256_DIGEST_LENGTH + 1);

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, ts, strlen(ts)) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, strlen(nonce)) != 1 ||
	    EVP_DigestUpdate(ctx, key, strlen(key)) != 1 ||
	    EVP_DigestUpdate(ctx, body, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		memset(md, 0, sizeof(md));
	EVP_MD_CTX_free(ctx);
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return hex;
}

bool
lark_cb_signature_ok(const char *ts, const char *nonce, const char *key,
    const char *body, size_t len, const char *sig)
{
	char *want;
	bool ok;

	if (ts == NULL || nonce == NULL || key == NULL || sig == NULL)
		return false;
	want = lark_cb_signature(ts, nonce, key, body, len);
	ok = strlen(sig) == strlen(want) && CRYPTO_memcmp(sig, want, strlen(want)) == 0;
	free(want);
	return ok;
}

/* ---- the listener ------------------------------------------------------------- */

static void
reply(struct evhttp_request *req, int code, const char *body)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json; charset=utf-8");
	if (b)
		evbuffer_add(b, body, strlen(body));
	evhttp_send_reply(req, code, NULL, b);
	if (b)
		evbuffer_free(b);
}

static void
refuse(struct evhttp_request *req, int code, const char *why)
{
	json_t *j = json_pack("{s:s}", "msg", why);
	char *s = json_dumps(j, JSON_COMPACT);

	warnx("lark: callback: refused (%d): %s", code, why);
	reply(req, code, s ? s : "{}");
	free(s);
	json_decref(j);
}

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct lark_cb *cb = arg;
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in), plen = 0;
	char *raw, *plain = NULL, *resp;
	const char *enc, *tok;
	json_t *j;
	struct lark_event ev;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		refuse(req, 405, "POST only");
		return;
	}
	if (n > CB_MAX_BODY) {
		refuse(req, 413, "body too large");
		return;
	}
	raw = xmalloc(n + 1);
	evbuffer_remove(in, raw, n);
	raw[n] = '\0';
	j = json_loadb(raw, n, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		free(raw);
		refuse(req, 400, "not a JSON object");
		return;
	}
	enc = json_string_value(json_object_get(j, "encrypt"));
	if (enc) {
		if (cb->key == NULL) {
			json_decref(j);
			free(raw);
			refuse(req, 400, "an encrypted body, but no encrypt_key is set");
			return;
		}
		plain = lark_cb_decrypt(cb->key, enc, &plen);
		if (plain == NULL) {
			json_decref(j);
			free(raw);
			refuse(req, 400, "the body does not decrypt with encrypt_key");
			return;
		}
	}
	json_decref(j);
	if (lark_event_parse(plain ? plain : raw, plain ? plen : n, &ev) == -1) {
		free(plain);
		free(raw);
		refuse(req, 400, "not a JSON object");
		return;
	}
	tok = ev.token;
	if (strcmp(json_string_value(json_object_get(ev.root, "type")) ?
	    json_string_value(json_object_get(ev.root, "type")) : "",
	    "url_verification") == 0) {
		const char *ch = json_string_value(json_object_get(ev.root, "challenge"));
		json_t *r;

		tok = json_string_value(json_object_get(ev.root, "token"));
		if (cb->token && (tok == NULL || strcmp(tok, cb->token) != 0)) {
			refuse(req, 401, "url_verification: the token is not the "
			    "verification_token");
		} else if (ch == NULL)
			refuse(req, 400, "url_verification without a challenge");
		else {
			r = json_pack("{s:s}", "challenge", ch);
			resp = json_dumps(r, JSON_COMPACT);
			reply(req, 200, resp ? resp : "{}");
			free(resp);
			json_decref(r);
		}
		goto out;
	}
	if (cb->key && !lark_cb_signature_ok(evhttp_find_header(h,
	    "X-Lark-Request-Timestamp"), evhttp_find_header(h, "X-Lark-Request-Nonce"),
	    cb->key, raw, n, evhttp_find_header(h, "X-Lark-Signature"))) {
		refuse(req, 401, "the signature does not match (X-Lark-Signature)");
		goto out;
	}
	if (cb->token && (tok == NULL || strcmp(tok, cb->token) != 0)) {
		refuse(req, 401, "the token is not the verification_token");
		goto out;
	}
	resp = cb->fn(cb->arg, &ev);
	reply(req, 200, resp ? resp : "{}");
	free(resp);
out:
	json_decref(ev.root);
	free(plain);
	free(raw);
}

struct lark_cb *
lark_cb_new(struct event_base *base, const struct lark_cb_opts *o, lark_cb_fn fn,
    void *arg, char **err)
{
	struct lark_cb *cb = xcalloc(1, sizeof(*cb));
	const char *addr = o->bind && *o->bind ? o->bind : "127.0.0.1";

	cb->fn = fn;
	cb->arg = arg;
	if (o->encrypt_key && *o->encrypt_key)
		cb->key = xstrdup(o->encrypt_key);
	if (o->verification_token && *o->verification_token)
		cb->token = xstrdup(o->verification_token);
	cb->http = evhttp_new(base);
	if (cb->http == NULL) {
		*err = xstrdup("evhttp_new failed");
		lark_cb_free(cb);
		return NULL;
	}
	evhttp_set_max_body_size(cb->http, CB_MAX_BODY + 1);
	evhttp_set_max_headers_size(cb->http, 64 * 1024);
	evhttp_set_timeout(cb->http, 30);
	evhttp_set_allowed_methods(cb->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	    EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT);
	evhttp_set_gencb(cb->http, on_request, cb);
	cb->sock = evhttp_bind_socket_with_handle(cb->http, addr, (ev_uint16_t)o->port);
	if (cb->sock == NULL) {
		*err = xasprintf("%s port %d: %s", addr, o->port, strerror(errno));
		lark_cb_free(cb);
		return NULL;
	}
	cb->port = listen_port(cb->sock);
	return cb;
}

void
lark_cb_free(struct lark_cb *cb)
{
	if (cb == NULL)
		return;
	if (cb->http)
		evhttp_free(cb->http);
	free(cb->key);
	free(cb->token);
	free(cb);
}

int
lark_cb_port(const struct lark_cb *cb)
{
	return cb->port;
}
