/* sha256.h — SHA-256 digests (OpenSSL's libcrypto underneath), streamed;
 * used to skip uploads whose bytes the peer already has. */
#ifndef CC_SHA256_H
#define CC_SHA256_H

#include <stddef.h>

struct sha256 {
	void *ctx;		/* EVP_MD_CTX */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
/* Finish (and free the context). */
void sha256_final(struct sha256 *c, unsigned char out[32]);
/* Lower-case hex of 32 bytes into hex[65]. */
void sha256_hex(const unsigned char d[32], char hex[65]);
/* Hash a file, streaming.  0, or -1 with errno set. */
int sha256_file(const char *path, char hex[65]);

#endif
