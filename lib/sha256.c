/* sha256.c — see sha256.h.  OpenSSL does the hashing; a failure inside
 * libcrypto (out of memory) is fatal like any allocation failure. */
#include "sha256.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

void
sha256_init(struct sha256 *c)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		errx(1, "sha256: cannot initialise the digest");
	c->ctx = ctx;
}

void
sha256_update(struct sha256 *c, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(c->ctx, p, n) != 1)
		errx(1, "sha256: digest update failed");
}

void
sha256_final(struct sha256 *c, unsigned char out[32])
{
	unsigned int len = 0;

	if (EVP_DigestFinal_ex(c->ctx, out, &len) != 1 || len != 32)
		errx(1, "sha256: digest failed");
	EVP_MD_CTX_free(c->ctx);
	c->ctx = NULL;
}

void
sha256_hex(const unsigned char d[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 15];
	}
	hex[64] = '\0';
}

int
sha256_file(const char *path, char hex[65])
{
	unsigned char buf[65536], d[32];
	struct sha256 c;
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	sha256_init(&c);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			sha256_final(&c, d);
			close(fd);
			errno = saved;
			return -1;
		}
		sha256_update(&c, buf, (size_t)n);
	}
	close(fd);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	return 0;
}
