/* daemon_tls.h — HTTPS for the servers of the toolkit (cc-daemon, cc-web):
 * the certificate and key (loaded, or a self-signed pair generated on first
 * use), the fingerprint clients pin (`cc-rpc --fingerprint`,
 * `tls_fingerprint:`), the server SSL_CTX, and an evhttp serving TLS with
 * it.  cc-daemon's TLS keys of daemon.yaml are read with the others
 * (daemon_auth.h).
 *
 * Generated pair: EC P-256 key, self-signed X.509 v3 certificate valid for
 * 10 years with a random serial, SANs DNS:localhost, IP:127.0.0.1, IP:::1
 * and the bind address when it is a specific IP literal.  Both files are
 * written 0600 and fsync'd under temporary names, then put into place, the
 * certificate first with link(2) (of processes generating at once, one
 * wins and the others use its pair) and the key last: a crash never leaves
 * a partial file, at worst a certificate without its key, which is refused
 * with one line.
 *
 * Functions returning int give 0 on success, -1 with *err set to a malloc'd
 * one-line message (no program name, no newline). */
#ifndef CC_DAEMON_TLS_H
#define CC_DAEMON_TLS_H

#include <stdbool.h>

#include <openssl/ssl.h>

/* "sha256:" + 64 lowercase hex digits + NUL. */
#define DAEMON_TLS_FP_LEN	(7 + 64 + 1)

/* Where the pair lives by default: ~/.codecast/tls-cert.pem and
 * tls-key.pem (malloc'd). */
char *daemon_tls_default_cert(void);
char *daemon_tls_default_key(void);

/* Make sure cert_path and key_path hold a matching pair: when neither
 * exists, generate one (its SANs as above; bind may be NULL); when both
 * exist, check that the key belongs to the certificate.  One of the two
 * without the other is an error.  *created (may be NULL) tells whether a
 * pair was generated.  The default files' directory is created 0700. */
int daemon_tls_ensure_pair(const char *cert_path, const char *key_path,
    const char *bind, bool *created, char **err);
/* The same, the generated certificate's subject CN=cn (daemon_tls_ensure_pair
 * says "cc-daemon"). */
int daemon_tls_ensure_pair_cn(const char *cert_path, const char *key_path,
    const char *bind, const char *cn, bool *created, char **err);

/* The server context for an existing pair (the certificate file may hold a
 * chain, leaf first): TLS 1.2 at least, the server's cipher preference,
 * no renegotiation.  fp receives the leaf's fingerprint, sha256:HEX over
 * the DER certificate (what `openssl x509 -noout -fingerprint -sha256`
 * shows, lower case without colons).  NULL with *err on failure, e.g. when
 * the key does not match the certificate. */
SSL_CTX *daemon_tls_ctx_new(const char *cert_path, const char *key_path,
    char fp[DAEMON_TLS_FP_LEN], char **err);

/* Make every connection http accepts a TLS server connection of ctx (kept
 * by the caller, alive as long as http). */
struct evhttp;
void daemon_tls_evhttp(struct evhttp *http, SSL_CTX *ctx);

/* The fingerprint of the first certificate in cert_path. */
int daemon_tls_fingerprint_file(const char *cert_path,
    char fp[DAEMON_TLS_FP_LEN], char **err);

/* Write fp and a newline to path (0600, temporary name then rename). */
int daemon_tls_write_fingerprint(const char *path, const char *fp,
    char **err);

#endif
