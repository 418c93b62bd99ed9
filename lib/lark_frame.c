/* lark_frame.c — Lark's long-connection frames and their bookkeeping.  See
 * lark_frame.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "lark_frame.h"
#include "pbbp2.pb-c.h"
#include "util.h"

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int
lark_frame_decode(const void *data, size_t len, struct lark_frame *f)
{
	Pbbp2__Frame *pf;

	memset(f, 0, sizeof(*f));
	pf = pbbp2__frame__unpack(NULL, len, data);
	if (pf == NULL)
		return -1;
	f->seq_id = pf->seqid;
	f->log_id = pf->logid;
	f->service = pf->service;
	f->method = pf->method;
	f->nheaders = pf->n_headers;
	f->keys = xcalloc(pf->n_headers + 1, sizeof(char *));
	f->values = xcalloc(pf->n_headers + 1, sizeof(char *));
	for (size_t i = 0; i < pf->n_headers; i++) {
		f->keys[i] = xstrdup(pf->headers[i]->key ? pf->headers[i]->key : "");
		f->values[i] = xstrdup(pf->headers[i]->value ? pf->headers[i]->value : "");
	}
	f->payload_encoding = dup_or_null(pf->payload_encoding);
	f->payload_type = dup_or_null(pf->payload_type);
	f->log_id_new = dup_or_null(pf->logidnew);
	if (pf->has_payload)
		lark_frame_set_payload(f, pf->payload.data, pf->payload.len);
	pbbp2__frame__free_unpacked(pf, NULL);
	return 0;
}

void
lark_frame_free(struct lark_frame *f)
{
	for (size_t i = 0; i < f->nheaders; i++) {
		free(f->keys[i]);
		free(f->values[i]);
	}
	free(f->keys);
	free(f->values);
	free(f->payload_encoding);
	free(f->payload_type);
	free(f->log_id_new);
	free(f->payload);
	memset(f, 0, sizeof(*f));
}

const char *
lark_frame_header(const struct lark_frame *f, const char *key)
{
	for (size_t i = 0; i < f->nheaders; i++)
		if (strcmp(f->keys[i], key) == 0)
			return f->values[i];
	return NULL;
}

void
lark_frame_set_header(struct lark_frame *f, const char *key, const char *value)
{
	for (size_t i = 0; i < f->nheaders; i++)
		if (strcmp(f->keys[i], key) == 0) {
			free(f->values[i]);
			f->values[i] = xstrdup(value);
			return;
		}
	f->keys = xreallocarray(f->keys, f->nheaders + 2, sizeof(char *));
	f->values = xreallocarray(f->values, f->nheaders + 2, sizeof(char *));
	f->keys[f->nheaders] = xstrdup(key);
	f->values[f->nheaders++] = xstrdup(value);
	f->keys[f->nheaders] = f->values[f->nheaders] = NULL;
}

void
lark_frame_set_payload(struct lark_frame *f, const void *p, size_t n)
{
	free(f->payload);
	f->payload = NULL;
	f->payload_len = 0;
	if (p == NULL)
		return;
	f->payload = xmalloc(n + 1);
	if (n)
		memcpy(f->payload, p, n);
	f->payload[n] = '\0';
	f->payload_len = n;
}

unsigned char *
lark_frame_encode(const struct lark_frame *f, size_t *len)
{
	Pbbp2__Frame pf = PBBP2__FRAME__INIT;
	Pbbp2__Header *hs = xcalloc(f->nheaders + 1, sizeof(*hs));
	Pbbp2__Header **hp = xcalloc(f->nheaders + 1, sizeof(*hp));
	unsigned char *out;

	pf.seqid = f->seq_id;
	pf.logid = f->log_id;
	pf.service = f->service;
	pf.method = f->method;
	for (size_t i = 0; i < f->nheaders; i++) {
		pbbp2__header__init(&hs[i]);
		hs[i].key = f->keys[i];
		hs[i].value = f->values[i];
		hp[i] = &hs[i];
	}
	pf.n_headers = f->nheaders;
	pf.headers = hp;
	pf.payload_encoding = f->payload_encoding;
	pf.payload_type = f->payload_type;
	pf.logidnew = f->log_id_new;
	if (f->payload) {
		pf.has_payload = 1;
		pf.payload.data = f->payload;
		pf.payload.len = f->payload_len;
	}
	*len = pbbp2__frame__get_packed_size(&pf);
	out = xmalloc(*len ? *len : 1);
	pbbp2__frame__pack(&pf, out);
	free(hs);
	free(hp);
	return out;
}

unsigned char *
lark_ping(int32_t service, size_t *len)
{
	struct lark_frame f = { 0 };
	unsigned char *out;

	f.service = service;
	f.method = LARK_METHOD_CONTROL;
	lark_frame_set_header(&f, "type", "ping");
	out = lark_frame_encode(&f, len);
	lark_frame_free(&f);
	return out;
}

unsigned char *
lark_ack(const struct lark_frame *f, int code, long long biz_rt, const char *data_json,
    size_t *len)
{
	struct lark_frame a = { 0 };
	json_t *body = json_pack("{s:i}", "code", code);
	unsigned char *out;
	char rt[32], *s;

	a.seq_id = f->seq_id;
	a.log_id = f->log_id;
	a.service = f->service;
	a.method = f->method;
	for (size_t i = 0; i < f->nheaders; i++)
		lark_frame_set_header(&a, f->keys[i], f->values[i]);
	snprintf(rt, sizeof(rt), "%lld", biz_rt < 0 ? 0 : biz_rt);
	lark_frame_set_header(&a, "biz_rt", rt);
	a.payload_encoding = dup_or_null(f->payload_encoding);
	a.payload_type = dup_or_null(f->payload_type);
	a.log_id_new = dup_or_null(f->log_id_new);
	if (data_json) {
		size_t n = strlen(data_json);
		char *b64 = xmalloc(4 * ((n + 2) / 3) + 1);

		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)data_json,
		    (int)n);
		json_object_set_new(body, "data", json_string(b64));
		free(b64);
	}
	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	lark_frame_set_payload(&a, s, strlen(s));
	free(s);
	out = lark_frame_encode(&a, len);
	lark_frame_free(&a);
	return out;
}

/* ---- ClientConfig and discovery ---------------------------------------------- */

void
lark_wsconf_default(struct lark_wsconf *c)
{
	c->reconnect_count = -1;
	c->reconnect_interval = 120;
	c->reconnect_nonce = 30;
	c->ping_interval = 120;
}

static void
take(json_t *cc, const char *key, long min, long max, long *out)
{
	json_t *v = json_object_get(cc, key);
	json_int_t n;

	if (!json_is_integer(v))
		return;
	n = json_integer_value(v);
	if (n >= min && n <= max)
		*out = (long)n;
}

void
lark_wsconf_apply(struct lark_wsconf *c, json_t *cc)
{
	if (!json_is_object(cc))
		return;
	take(cc, "ReconnectCount", -1, INT_MAX, &c->reconnect_count);
	take(cc, "ReconnectInterval", 0, 86400, &c->reconnect_interval);
	take(cc, "ReconnectNonce", 0, 86400, &c->reconnect_nonce);
	take(cc, "PingInterval", 1, 86400, &c->ping_interval);
}

bool
lark_wsconf_apply_text(struct lark_wsconf *c, const void *p, size_t n)
{
	json_t *j;

	if (p == NULL || n == 0)
		return false;
	j = json_loadb(p, n, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return false;
	}
	lark_wsconf_apply(c, j);
	json_decref(j);
	return true;
}

/* service_id=N in url's query, or -1. */
static int32_t
url_service(const char *url)
{
	const char *q = strchr(url, '?');
	long long v;

	while (q && *q) {
		q++;
		if (strncmp(q, "service_id=", 11) == 0) {
			char *s = xstrndup(q + 11, strcspn(q + 11, "&#"));
			bool ok = str_to_ll(s, 0, INT32_MAX, &v);

			free(s);
			return ok ? (int32_t)v : -1;
		}
		q = strchr(q, '&');
	}
	return -1;
}

enum lark_disc
lark_endpoint_parse(long http_status, const char *body, size_t n,
    struct lark_wsconf *conf, struct lark_endpoint *ep)
{
	json_t *root, *data;
	const char *url, *msg;
	enum lark_disc rc;

	memset(ep, 0, sizeof(*ep));
	ep->msg = xstrdup("");
	if (http_status != 200)
		return LARK_DISC_RETRY;
	root = json_loadb(body, n, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return LARK_DISC_RETRY;
	}
	ep->code = (long)json_integer_value(json_object_get(root, "code"));
	msg = json_string_value(json_object_get(root, "msg"));
	if (msg) {
		free(ep->msg);
		ep->msg = xstrdup(msg);
	}
	data = json_object_get(root, "data");
	url = json_string_value(json_object_get(data, "URL"));
	if (ep->code == 1 || ep->code == 1000040343)
		rc = LARK_DISC_RETRY;		/* busy, internal error */
	else if (ep->code != 0)
		rc = LARK_DISC_FATAL;
	else if (url == NULL || (strncmp(url, "ws://", 5) != 0 &&
	    strncmp(url, "wss://", 6) != 0))
		rc = LARK_DISC_RETRY;
	else {
		ep->url = xstrdup(url);
		ep->service = url_service(url);
		if (ep->service < 0)
			ep->service = 0;
		lark_wsconf_apply(conf, json_object_get(data, "ClientConfig"));
		rc = LARK_DISC_OK;
	}
	json_decref(root);
	return rc;
}

void
lark_endpoint_free(struct lark_endpoint *ep)
{
	free(ep->url);
	free(ep->msg);
	memset(ep, 0, sizeof(*ep));
}

/* ---- fragments ------------------------------------------------------------------ */

struct fragset {
	char *id;
	long sum, have;
	unsigned char **parts;
	size_t *lens;
	size_t bytes;
	long long born;
	struct fragset *next;
};

struct lark_frags {
	struct fragset *sets;
	size_t bytes;
};

struct lark_frags *
lark_frags_new(void)
{
	return xcalloc(1, sizeof(struct lark_frags));
}

static void
set_free(struct lark_frags *fr, struct fragset *s)
{
	for (long i = 0; i < s->sum; i++)
		free(s->parts[i]);
	fr->bytes -= s->bytes;
	free(s->parts);
	free(s->lens);
	free(s->id);
	free(s);
}

void
lark_frags_free(struct lark_frags *fr)
{
	if (fr == NULL)
		return;
	while (fr->sets) {
		struct fragset *s = fr->sets;

		fr->sets = s->next;
		set_free(fr, s);
	}
	free(fr);
}

size_t
lark_frags_count(const struct lark_frags *fr)
{
	size_t n = 0;

	for (struct fragset *s = fr->sets; s; s = s->next)
		n++;
	return n;
}

static void
expire(struct lark_frags *fr, long long now)
{
	for (struct fragset **pp = &fr->sets; *pp;) {
		struct fragset *s = *pp;

		if (now - s->born > LARK_FRAG_TTL_MS) {
			*pp = s->next;
			set_free(fr, s);
		} else
			pp = &s->next;
	}
}

unsigned char *
lark_frags_add(struct lark_frags *fr, const char *msg_id, long sum, long seq,
    const void *p, size_t n, long long now, size_t *len)
{
	struct fragset *s, **pp;
	unsigned char *out;
	size_t off = 0;

	expire(fr, now);
	if (msg_id == NULL || sum < 1 || sum > LARK_FRAG_MAX_SUM || seq < 0 || seq >= sum)
		return NULL;
	for (pp = &fr->sets; *pp; pp = &(*pp)->next)
		if (strcmp((*pp)->id, msg_id) == 0)
			break;
	s = *pp;
	if (s && s->sum != sum) {	/* not the set we knew: start again */
		*pp = s->next;
		set_free(fr, s);
		s = NULL;
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->id = xstrdup(msg_id);
		s->sum = sum;
		s->parts = xcalloc((size_t)sum, sizeof(*s->parts));
		s->lens = xcalloc((size_t)sum, sizeof(*s->lens));
		s->born = now;
		s->next = fr->sets;
		fr->sets = s;
	}
	if (s->parts[seq] != NULL)
		return NULL;	/* a repeat */
	if (fr->bytes + n > LARK_FRAG_MAX_BYTES) {
		for (pp = &fr->sets; *pp != s; pp = &(*pp)->next)
			;
		*pp = s->next;
		set_free(fr, s);
		return NULL;
	}
	s->parts[seq] = xmalloc(n ? n : 1);
	if (n)
		memcpy(s->parts[seq], p, n);
	s->lens[seq] = n;
	s->bytes += n;
	fr->bytes += n;
	if (++s->have < s->sum)
		return NULL;
	out = xmalloc(s->bytes + 1);
	for (long i = 0; i < s->sum; i++) {
		if (s->lens[i])
			memcpy(out + off, s->parts[i], s->lens[i]);
		off += s->lens[i];
	}
	out[off] = '\0';
	*len = off;
	for (pp = &fr->sets; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	set_free(fr, s);
	return out;
}
