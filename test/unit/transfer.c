/* Unit tests for lib/transfer: pool names, pull names, the download
 * directory, and a push/pull round trip with a hostile name on a real local
 * peer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "pathname.h"
#include "remote.h"
#include "shquote.h"
#include "tap.h"
#include "transfer.h"
#include "util.h"

static const unsigned char id[4] = { 0xde, 0xad, 0x0b, 0xef };

static void
pool_is(const char *dir, const char *local, const char *want)
{
	char *got = transfer_pool_name(dir, local, id);

	is_str(got, want, want);
	free(got);
}

static void
pull_is(const char *rpath, const char *want)
{
	char *got = transfer_pull_name(rpath), name[128];

	snprintf(name, sizeof(name), "pull name of \"%s\"", rpath);
	is_str(got, want, name);
	free(got);
}

static int
same_file(const char *a, const char *b)
{
	struct buf x = {0}, y = {0};
	int same;

	same = read_file(a, 1 << 24, &x) == 0 && read_file(b, 1 << 24, &y) == 0 &&
	    x.len == y.len && memcmp(x.s, y.s, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 ? st.st_mode & 07777 : 0;
}

int
main(void)
{
	char tmpl[] = "/tmp/cc-unit-transfer-XXXXXX";
	struct config cfg;
	struct remote *r;
	struct peer p;
	char *home, *e = NULL, *local, *dir, *remote_path, *name;
	char *files[2];
	FILE *f;
	size_t i;

	pool_is("/pool", "/a/b/file.txt", "/pool/dead0bef_file.txt");
	pool_is("/pool/", "file.txt", "/pool/dead0bef_file.txt");
	pool_is("/pool", "a b'c;$(x).txt", "/pool/dead0bef_a b'c;$(x).txt");
	pool_is("/pool", "/a/x\ny\r.txt", "/pool/dead0bef_x_y_.txt");
	pool_is("/pool", "dir/", "/pool/dead0bef_dir");

	pull_is("/a/b", "b");
	pull_is("/a/b/", "b");
	pull_is("~/f g", "f g");
	pull_is("b", "b");
	pull_is("/", NULL);
	pull_is("", NULL);
	pull_is(".", NULL);
	pull_is("/x/..", NULL);
	pull_is("/x/.", NULL);

	if (mkdtemp(tmpl) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	home = xasprintf("%s/home", tmpl);
	mkdir(home, 0700);
	setenv("HOME", home, 1);

	/* ---- local checks ---- */
	local = xasprintf("%s/it's a \"file\"; $(touch pwned)\n.bin", tmpl);
	if ((f = fopen(local, "w")) == NULL) {
		ok(0, "fopen");
		return tap_done();
	}
	for (i = 0; i < 300000; i++)
		fputc((int)(i * 7 % 251), f);
	fclose(f);
	files[0] = local;
	files[1] = tmpl;
	ok(transfer_check_files(files, 1, &e) == 0, "a regular file passes");
	ok(transfer_check_files(files, 2, &e) == -1, "a directory does not");
	{
		char *want = xasprintf("%s: not a regular file", tmpl);
		is_str(e, want, "... saying so");
		free(want);
	}
	free(e);
	e = NULL;
	files[1] = "/nonexistent/x";
	ok(transfer_check_files(files, 2, &e) == -1, "a missing file does not");
	is_str(e, "/nonexistent/x: No such file or directory", "... with errno");
	free(e);
	e = NULL;

	memset(&cfg, 0, sizeof(cfg));
	ok(transfer_download_path(&cfg, "x y", &dir, &e) == 0,
	    "download path, default dir");
	{
		char *want = xasprintf("%s/.codecast/downloads/x y", home);
		char *d = xasprintf("%s/.codecast/downloads", home);

		is_str(dir, want, "... is ~/.codecast/downloads/NAME");
		is_int(mode_of(d), 0700, "... in a 0700 directory it made");
		free(want);
		free(d);
	}
	free(dir);
	cfg.file_forward.download_dir = xasprintf("%s/down loads/", tmpl);
	ok(transfer_download_path(&cfg, "n", &dir, &e) == 0,
	    "download path, configured dir");
	{
		char *want = xasprintf("%s/down loads/n", tmpl);
		is_str(dir, want, "... under download_dir");
		free(want);
	}
	free(dir);

	/* ---- a round trip on a real local peer ---- */
	memset(&p, 0, sizeof(p));
	p.id = "local";
	p.transport = TRANSPORT_LOCAL;
	if ((r = remote_open(NULL, &p, &e)) == NULL) {
		ok(0, "remote_open local");
		return tap_done();
	}
	cfg.file_pool.remote_dir = "~/pool dir";
	ok(transfer_pool_dir(&cfg, r, &dir, &e) == 0, "pool dir");
	{
		char *want = xasprintf("%s/pool dir", home);
		is_str(dir, want, "... ~ is the peer's $HOME");
		is_int(mode_of(want), 0700, "... made with umask 077");
		free(want);
	}
	ok(transfer_push(r, dir, local, NULL, NULL, &remote_path, &e) == 0,
	    "push a file with a hostile name");
	name = pathname_base(remote_path);
	ok(strlen(name) > 9 && strspn(name, "0123456789abcdef") == 8 &&
	    name[8] == '_', "... as <8 hex>_<name>");
	is_str(name + 9, "it's a \"file\"; $(touch pwned)_.bin",
	    "... line break made _");
	ok(strncmp(remote_path, dir, strlen(dir)) == 0, "... in the pool");
	ok(same_file(local, remote_path), "... byte-identical");
	is_int(mode_of(remote_path), 0600, "... mode 0600");
	free(name);
	{
		char *back;

		ok(transfer_download_path(&cfg, "back", &back, &e) == 0,
		    "download path");
		ok(transfer_pull(r, remote_path, back, 0, NULL, NULL, &e) == 0,
		    "pull it back");
		ok(same_file(local, back), "... byte-identical");
		ok(transfer_pull(r, remote_path, back, 1000, NULL, NULL,
		    &e) == -1, "--max-size refuses a larger file");
		ok(e && str_starts(e, remote_path), "... naming the file");
		free(e);
		e = NULL;
		ok(same_file(local, back), "... and leaves the old file alone");
		ok(transfer_pull(r, "~/no such file", back, 0, NULL, NULL,
		    &e) == -1, "a missing remote file fails");
		ok(e && str_starts(e, "~/no such file: "), "... naming it");
		free(e);
		e = NULL;
		free(back);
	}
	ok(access("pwned", F_OK) != 0, "nothing in a name ran");
	free(remote_path);
	free(dir);
	remote_close(r);

	{
		char *q = shell_quote(tmpl), *cmd = xasprintf("rm -rf %s", q);
		(void)system(cmd);
		free(cmd);
		free(q);
	}
	free(cfg.file_forward.download_dir);
	free(local);
	free(home);
	return tap_done();
}
