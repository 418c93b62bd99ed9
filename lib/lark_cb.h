/* lark_cb.h — Lark's HTTP callback mode ("send events to a URL", the
 * alternative to the long connection; reference upstream-platforms.md §3b):
 * an evhttp listener on the event loop that takes the platform's POSTs,
 * decrypts them (AES-256-CBC, key SHA-256(Encrypt Key), body
 * {"encrypt": base64(iv || ciphertext)}), checks the signature
 * (X-Lark-Signature = hex SHA-256(timestamp + nonce + encrypt key + raw
 * body)) and the Verification Token before anything in them is believed,
 * answers the URL verification challenge itself, and hands every other
 * event to the bridge, whose answer (a card action's toast and card) is the
 * response — all within the request, so well inside Lark's 3 s.
 *
 * Refused: a POST with a bad or missing signature while an encrypt key is
 * set (401), a token that differs from the verification token (401), an
 * encrypted body without a key or one that does not decrypt (400), a body
 * over 4 MiB (413), anything but POST (405).
 *
 * Owns: the listener, the crypto (OpenSSL), the challenge. */
#ifndef CC_LARK_CB_H
#define CC_LARK_CB_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct lark_cb;
struct lark_event;

struct lark_cb_opts {
	const char *bind;		/* address (default 127.0.0.1) */
	int port;			/* 0: any free port */
	const char *encrypt_key;	/* NULL or "": bodies are plain, unsigned */
	const char *verification_token;	/* NULL or "": not checked */
};

/* The bridge's handler: an event that passed the checks.  Returns the
 * response body (malloc'd JSON text) or NULL for {}. */
typedef char *(*lark_cb_fn)(void *arg, struct lark_event *ev);

/* Listen; NULL with a message in *err (malloc'd) when the address cannot be
 * bound. */
struct lark_cb *lark_cb_new(struct event_base *base, const struct lark_cb_opts *o,
    lark_cb_fn fn, void *arg, char **err);
void lark_cb_free(struct lark_cb *cb);
/* The port it listens on. */
int lark_cb_port(const struct lark_cb *cb);

/* The crypto, for tests and the fuzz target. */
/* Decrypt {"encrypt": B64}'s B64 with key: the plaintext (malloc'd,
 * NUL-terminated, *len set) or NULL when it does not decrypt. */
char *lark_cb_decrypt(const char *key, const char *b64, size_t *len);
/* Encrypt plaintext as Lark does (random IV): base64, malloc'd. */
char *lark_cb_encrypt(const char *key, const char *plain, size_t len);
/* hex SHA-256(ts + nonce + key + body), malloc'd. */
char *lark_cb_signature(const char *ts, const char *nonce, const char *key,
    const char *body, size_t len);
/* Whether sig is that signature (constant time; false when sig is NULL). */
bool lark_cb_signature_ok(const char *ts, const char *nonce, const char *key,
    const char *body, size_t len, const char *sig);

#endif
