/* Unit tests for lib/daemon's parsers and lib/sha256 (over libcrypto). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

static void
check_version(const char *in, const char *want)
{
	char *v = daemon_parse_version(in), name[160];

	snprintf(name, sizeof(name), "version of \"%s\"", in ? in : "(null)");
	is_str(v, want, name);
	free(v);
}

static void
check_sha(const char *in, size_t n, const char *want, const char *name)
{
	struct sha256 c;
	unsigned char d[32];
	char hex[65];

	sha256_init(&c);
	sha256_update(&c, in, n);
	sha256_final(&c, d);
	sha256_hex(d, hex);
	is_str(hex, want, name);
}

int
main(void)
{
	char *v = NULL;
	long pid = -1;

	check_version("cc-daemon 0.1.0\n", "0.1.0");
	check_version("codecast-daemon 0.3.2", "0.3.2");
	check_version("codecast-daemon 0.3.2 (build 7)", "0.3.2");
	check_version("daemon v1.2 2.0.1-rc1\n", "2.0.1-rc1");
	check_version("no version here", NULL);
	check_version("", NULL);
	check_version(NULL, NULL);
	check_version("cc-daemon 12", NULL);

	/* upstream's wrapper: the payload is under "result" */
	is_int(daemon_parse_health("{\"result\":{\"ok\":true,\"version\":\"0.3.2\",\"pid\":42}}",
	    &v, &pid), 1, "result.ok true is healthy");
	is_str(v, "0.3.2", "version from result");
	is_int(pid, 42, "pid from result");
	free(v);
	is_int(daemon_parse_health("{\"ok\":true,\"version\":\"0.1.0\"}", &v, &pid), 1,
	    "a bare object is accepted");
	is_str(v, "0.1.0", "bare version");
	is_int(pid, 0, "no pid: 0");
	free(v);
	is_int(daemon_parse_health("{\"result\":{\"ok\":false}}", &v, &pid), 0,
	    "result.ok false is not healthy");
	is_str(v, NULL, "no version when unhealthy");
	is_int(daemon_parse_health("{\"error\":{\"code\":-32601,\"message\":\"x\"}}",
	    &v, &pid), 0, "an error reply is not healthy");
	is_int(daemon_parse_health("{\"result\":{\"ok\":\"true\"}}", &v, &pid), 0,
	    "ok must be the JSON true");
	is_int(daemon_parse_health("not json \"ok\":true", &v, &pid), 0,
	    "text is not healthy");
	is_int(daemon_parse_health("", &v, &pid), 0, "empty is not healthy");
	is_int(daemon_parse_health(NULL, &v, &pid), 0, "NULL is not healthy");
	is_int(daemon_parse_health("{\"result\":{\"ok\":true}}\n", NULL, NULL), 1,
	    "outputs may be NULL; trailing newline fine");

	/* FIPS 180-4 / NIST vectors */
	check_sha("", 0,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 empty");
	check_sha("abc", 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 abc");
	check_sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 448 bits");
	{
		/* a million 'a's, fed in odd-sized pieces */
		struct sha256 c;
		unsigned char d[32];
		char hex[65], chunk[997];
		size_t left = 1000000;

		memset(chunk, 'a', sizeof(chunk));
		sha256_init(&c);
		while (left) {
			size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
			sha256_update(&c, chunk, n);
			left -= n;
		}
		sha256_final(&c, d);
		sha256_hex(d, hex);
		is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
		    "sha256 million a");
	}
	{
		/* sha256_file agrees with sha256sum(1) */
		char path[] = "/tmp/cc-sha-test.XXXXXX", hex[65], cmd[128];
		int fd = mkstemp(path);
		FILE *p;
		char got[65] = "";
		size_t i;

		ok(fd >= 0, "temp file");
		for (i = 0; i < 300000; i++) {
			unsigned char b = (unsigned char)(i * 7 + i / 13);
			if (write(fd, &b, 1) != 1)
				break;
		}
		close(fd);
		ok(sha256_file(path, hex) == 0, "sha256_file");
		snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
		if ((p = popen(cmd, "r")) != NULL) {
			if (fread(got, 1, 64, p) != 64)
				got[0] = '\0';
			pclose(p);
		}
		is_str(hex, got, "sha256_file matches sha256sum");
		unlink(path);
		ok(sha256_file(path, hex) == -1, "missing file: -1");
	}
	return tap_done();
}
