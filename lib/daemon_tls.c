/* daemon_tls.c — cc-daemon's certificate, key, fingerprint and SSL_CTX.
 * See daemon_tls.h. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>

#include "daemon_tls.h"
#include "paths.h"
#include "util.h"

/* Certificate lifetime, and how far back notBefore goes (clock skew
 * between the peer and the head). */
#define CERT_DAYS	3650
#define CERT_SKEW_SECS	3600

/* The daemon reads no openssl.cnf: the static binary runs on peers whose
 * OpenSSL configuration may name providers it does not have. */
static void
tls_init(void)
{
	(void)OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

/* The last OpenSSL error as "what: reason" (malloc'd); clears the queue. */
static char *
ossl_err(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	char *s;

	s = xasprintf("%s: %s", what, r ? r : "OpenSSL error");
	ERR_clear_error();
	return s;
}

char *
daemon_tls_default_cert(void)
{
	return path_state("tls-cert.pem");
}

char *
daemon_tls_default_key(void)
{
	return path_state("tls-key.pem");
}

/* ------------------------------------------------------------ generation */

/* Add one extension given in openssl.cnf syntax. */
static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

/* "DNS:localhost,IP:127.0.0.1,IP:::1" plus the bind address when it is a
 * specific IP literal (checked with inet_pton, so nothing else gets into
 * the list). */
static char *
san_list(const char *bind)
{
	unsigned char a[16];
	static const char base[] = "DNS:localhost,IP:127.0.0.1,IP:::1";

	if (bind == NULL)
		return xstrdup(base);
	if (inet_pton(AF_INET, bind, a) == 1) {
		if (strcmp(bind, "0.0.0.0") == 0 || strcmp(bind, "127.0.0.1") == 0)
			return xstrdup(base);
		return xasprintf("%s,IP:%s", base, bind);
	}
	if (inet_pton(AF_INET6, bind, a) == 1) {
		static const unsigned char any[16], lo[16] = { [15] = 1 };

		if (memcmp(a, any, 16) == 0 || memcmp(a, lo, 16) == 0)
			return xstrdup(base);
		return xasprintf("%s,IP:%s", base, bind);
	}
	return xstrdup(base);
}

/* A self-signed certificate and its key, as PEM text. */
static int
make_pair(const char *bind, const char *cn, struct buf *cert_pem,
    struct buf *key_pem, char **err)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	BIO *cb = NULL, *kb = NULL;
	unsigned char serial[16];
	char *san = NULL, *data;
	long n;
	int rc = -1;

	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		*err = ossl_err("EC P-256 key generation");
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		*err = ossl_err("random serial");
		goto out;
	}
	/* Positive, 16 bytes, never zero (RFC 5280 4.1.2.2). */
	serial[0] = (serial[0] & 0x7f) | 0x40;
	san = san_list(bind);
	if ((x = X509_new()) == NULL ||
	    !X509_set_version(x, 2) ||
	    (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -CERT_SKEW_SECS) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), CERT_DAYS, 0, NULL) == NULL ||
	    (name = X509_get_subject_name(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) ||
	    !X509_set_pubkey(x, pkey) ||
	    add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == -1 ||
	    add_ext(x, NID_key_usage, "critical,digitalSignature") == -1 ||
	    add_ext(x, NID_ext_key_usage, "serverAuth") == -1 ||
	    add_ext(x, NID_subject_key_identifier, "hash") == -1 ||
	    add_ext(x, NID_subject_alt_name, san) == -1 ||
	    X509_sign(x, pkey, EVP_sha256()) == 0) {
		*err = ossl_err("self-signed certificate");
		goto out;
	}
	if ((cb = BIO_new(BIO_s_mem())) == NULL ||
	    (kb = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_X509(cb, x) ||
	    !PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL)) {
		*err = ossl_err("PEM encoding");
		goto out;
	}
	n = BIO_get_mem_data(cb, &data);
	buf_append(cert_pem, data, (size_t)n);
	n = BIO_get_mem_data(kb, &data);
	buf_append(key_pem, data, (size_t)n);
	rc = 0;
out:
	BIO_free(cb);
	BIO_free(kb);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	free(san);
	return rc;
}

/* Write data to a new 0600 file next to path; returns its malloc'd name. */
static char *
write_tmp(const char *path, const struct buf *data, char **err)
{
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int fd, rc = 0;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		/* Named after the file wanted: ENOENT means its directory. */
		*err = xasprintf("%s: %s", path, strerror(errno));
		free(tmp);
		return NULL;
	}
	if (write_all(fd, data->s, data->len) == -1 || fsync(fd) == -1)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	if (rc == -1) {
		*err = xasprintf("%s: %s", tmp, strerror(errno));
		(void)unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

/* fsync the directory holding path, so the renames are durable. */
static void
sync_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		(void)fsync(fd);
		(void)close(fd);
	}
	free(copy);
}

/* 1 exists, 0 does not, -1 error (*err). */
static int
exists(const char *path, char **err)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	*err = xasprintf("%s: %s", path, strerror(errno));
	return -1;
}

/* 0 generated, 1 another process put a certificate there first (its key
 * follows), -1 error. */
static int
generate(const char *cert_path, const char *key_path, const char *bind,
    const char *cn, char **err)
{
	struct buf c = { 0 }, k = { 0 };
	char *ctmp = NULL, *ktmp = NULL;
	int rc = -1;

	if (make_pair(bind, cn, &c, &k, err) == -1)
		goto out;
	if ((ctmp = write_tmp(cert_path, &c, err)) == NULL ||
	    (ktmp = write_tmp(key_path, &k, err)) == NULL)
		goto out;
	/* The certificate first: a crash in between leaves a certificate
	 * without its key, which is refused, never a key that looks whole
	 * next to an old certificate.  link(2) rather than rename(2), so
	 * that of two processes generating at once (a daemon starting and
	 * `cc-daemon --fingerprint`) one wins and the other uses its pair. */
	if (link(ctmp, cert_path) == -1) {
		if (errno == EEXIST) {
			rc = 1;
			goto out;
		}
		/* A file system without hard links. */
		if (rename(ctmp, cert_path) == -1) {
			*err = xasprintf("%s: %s", cert_path, strerror(errno));
			goto out;
		}
	} else
		(void)unlink(ctmp);
	free(ctmp);
	ctmp = NULL;
	if (rename(ktmp, key_path) == -1) {
		*err = xasprintf("%s: %s", key_path, strerror(errno));
		(void)unlink(cert_path);
		goto out;
	}
	free(ktmp);
	ktmp = NULL;
	sync_dir(key_path);
	rc = 0;
out:
	if (ctmp)
		(void)unlink(ctmp);
	if (ktmp)
		(void)unlink(ktmp);
	free(ctmp);
	free(ktmp);
	/* The key's bytes are not left in freed memory. */
	if (k.s)
		OPENSSL_cleanse(k.s, k.cap);
	buf_free(&c);
	buf_free(&k);
	return rc;
}

/* ------------------------------------------------------------- loading */

static X509 *
read_cert(const char *path, char **err)
{
	BIO *b = BIO_new_file(path, "r");
	X509 *x;

	if (b == NULL) {
		*err = xasprintf("%s: %s", path, strerror(errno ? errno : EIO));
		ERR_clear_error();
		return NULL;
	}
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL) {
		ERR_clear_error();
		*err = xasprintf("%s: not a PEM certificate", path);
	}
	return x;
}

static EVP_PKEY *
read_key(const char *path, char **err)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k;
	struct stat st;

	if (b == NULL) {
		*err = xasprintf("%s: %s", path, strerror(errno ? errno : EIO));
		ERR_clear_error();
		return NULL;
	}
	/* Upstream's rule: the key is the owner's alone. */
	if (stat(path, &st) == 0 && (st.st_mode & 077) && st.st_uid == geteuid())
		(void)chmod(path, st.st_mode & 0700);
	/* An empty passphrase callback: an encrypted key fails, not prompts. */
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"");
	BIO_free(b);
	if (k == NULL) {
		ERR_clear_error();
		*err = xasprintf("%s: not an unencrypted PEM private key", path);
	}
	return k;
}

static int
check_match(X509 *x, EVP_PKEY *k, const char *cert_path, const char *key_path,
    char **err)
{
	if (X509_check_private_key(x, k) == 1)
		return 0;
	ERR_clear_error();
	*err = xasprintf("%s does not match the certificate %s", key_path,
	    cert_path);
	return -1;
}

static int
fingerprint(X509 *x, char fp[DAEMON_TLS_FP_LEN], char **err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	static const char hex[] = "0123456789abcdef";

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32) {
		*err = ossl_err("certificate fingerprint");
		return -1;
	}
	memcpy(fp, "sha256:", 7);
	for (i = 0; i < n; i++) {
		fp[7 + 2 * i] = hex[md[i] >> 4];
		fp[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	fp[7 + 64] = '\0';
	return 0;
}

int
daemon_tls_ensure_pair(const char *cert_path, const char *key_path,
    const char *bind, bool *created, char **err)
{
	return daemon_tls_ensure_pair_cn(cert_path, key_path, bind, "cc-daemon",
	    created, err);
}

int
daemon_tls_ensure_pair_cn(const char *cert_path, const char *key_path,
    const char *bind, const char *cn, bool *created, char **err)
{
	char *dc = daemon_tls_default_cert(), *dk = daemon_tls_default_key();
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int hc, hk, rc = -1;

	tls_init();
	if (created)
		*created = false;
	if (strcmp(cert_path, dc) == 0 || strcmp(key_path, dk) == 0) {
		char *d = state_dir(NULL);

		if (d == NULL) {
			*err = xasprintf("~/.codecast: %s", strerror(errno));
			goto out;
		}
		free(d);
	}
	if ((hc = exists(cert_path, err)) == -1 ||
	    (hk = exists(key_path, err)) == -1)
		goto out;
	if (!hc && !hk) {
		int i;

		if ((rc = generate(cert_path, key_path, bind, cn, err)) == -1)
			goto out;
		if (rc == 0) {
			if (created)
				*created = true;
			goto out;
		}
		/* Another process's pair: give it 5 s to rename the key. */
		rc = -1;
		for (i = 0; i < 100; i++) {
			if ((hk = exists(key_path, err)) == -1)
				goto out;
			if (hk)
				break;
			sleep_ms(50);
		}
		hc = 1;
	}
	if (hc && !hk) {
		*err = xasprintf("%s: no such file, but the certificate %s "
		    "exists (remove it to generate a new pair)", key_path,
		    cert_path);
		goto out;
	}
	if (!hc) {
		*err = xasprintf("%s: no such file, but the key %s exists "
		    "(remove it to generate a new pair)", cert_path, key_path);
		goto out;
	}
	if ((x = read_cert(cert_path, err)) == NULL ||
	    (k = read_key(key_path, err)) == NULL ||
	    check_match(x, k, cert_path, key_path, err) == -1)
		goto out;
	rc = 0;
out:
	X509_free(x);
	EVP_PKEY_free(k);
	free(dc);
	free(dk);
	return rc;
}

/* Every accepted connection gets a TLS server bufferevent; evhttp sets its
 * socket.  A NULL here would make evhttp fall back to plain text, so a
 * failure (out of memory) is fatal. */
static struct bufferevent *
tls_bevcb(struct event_base *base, void *arg)
{
	SSL_CTX *ctx = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = SSL_new(ctx)) == NULL)
		errx(1, "tls: SSL_new failed");
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		errx(1, "tls: bufferevent_openssl_socket_new failed");
	/* A client that closes without close_notify ends its connection
	 * like any other EOF. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

void
daemon_tls_evhttp(struct evhttp *http, SSL_CTX *ctx)
{
	evhttp_set_bevcb(http, tls_bevcb, ctx);
}

int
daemon_tls_fingerprint_file(const char *cert_path, char fp[DAEMON_TLS_FP_LEN],
    char **err)
{
	X509 *x;
	int rc;

	tls_init();
	if ((x = read_cert(cert_path, err)) == NULL)
		return -1;
	rc = fingerprint(x, fp, err);
	X509_free(x);
	return rc;
}

SSL_CTX *
daemon_tls_ctx_new(const char *cert_path, const char *key_path,
    char fp[DAEMON_TLS_FP_LEN], char **err)
{
	SSL_CTX *ctx;
	EVP_PKEY *k = NULL;
	X509 *x;

	tls_init();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*err = ossl_err("SSL_CTX_new");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		*err = ossl_err("TLS 1.2 minimum");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
		char *e = ossl_err("certificate");

		*err = xasprintf("%s: %s", cert_path, e);
		free(e);
		goto fail;
	}
	x = SSL_CTX_get0_certificate(ctx);
	if ((k = read_key(key_path, err)) == NULL ||
	    check_match(x, k, cert_path, key_path, err) == -1)
		goto fail;
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char *e = ossl_err("private key");

		*err = xasprintf("%s: %s", key_path, e);
		free(e);
		goto fail;
	}
	if (fingerprint(x, fp, err) == -1)
		goto fail;
	EVP_PKEY_free(k);
	return ctx;
fail:
	EVP_PKEY_free(k);
	SSL_CTX_free(ctx);
	return NULL;
}

int
daemon_tls_write_fingerprint(const char *path, const char *fp, char **err)
{
	struct buf b = { 0 };
	char *tmp;

	buf_puts(&b, fp);
	buf_putc(&b, '\n');
	tmp = write_tmp(path, &b, err);
	buf_free(&b);
	if (tmp == NULL)
		return -1;
	if (rename(tmp, path) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		(void)unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
