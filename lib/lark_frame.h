/* lark_frame.h — Lark's long connection on the wire, without I/O
 * (reference upstream-platforms.md §3b): the pbbp2 frames of
 * proto/pbbp2.proto decoded and encoded with protobuf-c, the ping, the ack
 * of a data frame, fragmented payloads put back together, the ClientConfig
 * the server hands out (discovery answer and pongs) and the discovery
 * answer itself.  Everything here takes untrusted bytes and is what the fuzz
 * target (fuzz/lark_fuzz.c) exercises; lib/lark.c does the talking.
 *
 * A frame: SeqID, LogID, service, method (0 control, 1 data), headers
 * (key/value strings; "type" is ping/pong or event/card), payload bytes. */
#ifndef CC_LARK_FRAME_H
#define CC_LARK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define LARK_METHOD_CONTROL	0
#define LARK_METHOD_DATA	1

struct lark_frame {
	uint64_t seq_id, log_id;
	int32_t service, method;
	size_t nheaders;
	char **keys, **values;		/* nheaders each, malloc'd */
	char *payload_encoding;		/* NULL when absent */
	char *payload_type;
	char *log_id_new;
	unsigned char *payload;		/* NULL when absent; NUL after len */
	size_t payload_len;
};

/* Decode one binary WebSocket message.  0, or -1 when it is not a frame
 * (f is then empty).  Free with lark_frame_free. */
int lark_frame_decode(const void *data, size_t len, struct lark_frame *f);
void lark_frame_free(struct lark_frame *f);

/* The value of header key (the first), or NULL. */
const char *lark_frame_header(const struct lark_frame *f, const char *key);
/* Set header key to value (replacing the first of that key, else added). */
void lark_frame_set_header(struct lark_frame *f, const char *key, const char *value);
/* Replace the payload with a copy of p[0..n) (p NULL: none). */
void lark_frame_set_payload(struct lark_frame *f, const void *p, size_t n);

/* Encode; malloc'd, *len set. */
unsigned char *lark_frame_encode(const struct lark_frame *f, size_t *len);

/* A ping: SeqID 0, LogID 0, service, method 0, header type=ping. */
unsigned char *lark_ping(int32_t service, size_t *len);

/* The acknowledgement of data frame f: the same ids, service, method and
 * headers plus biz_rt (ms spent), the payload {"code":code} with
 * "data": base64(data_json) when data_json is not NULL. */
unsigned char *lark_ack(const struct lark_frame *f, int code, long long biz_rt,
    const char *data_json, size_t *len);

/* The ClientConfig of the discovery answer and of pongs, in seconds. */
struct lark_wsconf {
	long reconnect_count;		/* -1: for ever */
	long reconnect_interval;	/* 120 */
	long reconnect_nonce;		/* 30 */
	long ping_interval;		/* 120 */
};
void lark_wsconf_default(struct lark_wsconf *c);
/* Take what a ClientConfig object sets (ReconnectCount, ReconnectInterval,
 * ReconnectNonce, PingInterval; out-of-range values are ignored). */
void lark_wsconf_apply(struct lark_wsconf *c, json_t *cc);
/* The same from a pong's payload (JSON text); false when it is not one. */
bool lark_wsconf_apply_text(struct lark_wsconf *c, const void *p, size_t n);

/* The discovery answer (POST /callback/ws/endpoint) taken apart. */
enum lark_disc {
	LARK_DISC_OK,		/* url and service set */
	LARK_DISC_RETRY,	/* busy, internal error, no answer: try again */
	LARK_DISC_FATAL		/* refused: credentials, app not allowed */
};
struct lark_endpoint {
	char *url;		/* malloc'd, ws:// or wss:// */
	int32_t service;	/* service_id of the URL's query */
	long code;		/* Lark's code */
	char *msg;		/* malloc'd, "" when none */
};
enum lark_disc lark_endpoint_parse(long http_status, const char *body, size_t n,
    struct lark_wsconf *conf, struct lark_endpoint *ep);
void lark_endpoint_free(struct lark_endpoint *ep);

/* Fragments of data frames (headers sum, seq 0-based, message_id) put back
 * together.  Sets older than LARK_FRAG_TTL_MS are dropped, at most
 * LARK_FRAG_MAX_BYTES are held. */
#define LARK_FRAG_TTL_MS	5000
#define LARK_FRAG_MAX_BYTES	(32u << 20)
#define LARK_FRAG_MAX_SUM	4096
struct lark_frags;
struct lark_frags *lark_frags_new(void);
void lark_frags_free(struct lark_frags *fr);
/* Add one fragment at time now (ms).  Returns the whole payload (malloc'd,
 * NUL-terminated, *len set) once every part is in, else NULL (also for a
 * fragment that makes no sense: sum or seq out of range). */
unsigned char *lark_frags_add(struct lark_frags *fr, const char *msg_id, long sum,
    long seq, const void *p, size_t n, long long now, size_t *len);
/* Sets held (tests). */
size_t lark_frags_count(const struct lark_frags *fr);

#endif
