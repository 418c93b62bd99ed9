/* Unit tests for lib/shquote: every quoted word must come back from a real
 * /bin/sh byte for byte, and ~/ must expand to $HOME. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "remote.h"
#include "shquote.h"
#include "tap.h"
#include "util.h"

static struct remote *r;

/* Run `printf %s WORD` through /bin/sh and return what it printed. */
static char *
sh_echo(const char *word)
{
	struct buf out = {0}, cmd = {0};
	char *err = NULL;
	int status = -1;

	buf_printf(&cmd, "printf %%s %s", word);
	if (remote_exec(r, cmd.s, NULL, 0, &out, NULL, &status, &err) != 0 ||
	    status != 0) {
		free(err);
		buf_free(&out);
		buf_free(&cmd);
		return xstrdup("<failed>");
	}
	buf_free(&cmd);
	return buf_steal(&out);
}

int
main(void)
{
	static const char *hostile[] = {
		"plain", "with space", "it's", "'", "''", "a'b'c",
		"semi;colon; rm -rf /", "$(touch /tmp/pwned)", "`id`",
		"new\nline", "-n", "--help", "-", "tab\there", "back\\slash",
		"\"double\"", "$HOME", "*", "?", "[a]", "{a,b}", "!bang",
		"&amp;|pipe>redir<", "~", "~/x", "ünïcødé ✓", "",
	};
	struct peer p;
	char *err = NULL;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.id = "local";
	p.transport = TRANSPORT_LOCAL;
	r = remote_open(NULL, &p, &err);
	ok(r != NULL, "remote_open local");
	if (r == NULL)
		return tap_done();

	{
		char *a = shell_quote("it's"), *b = shell_quote("");
		is_str(a, "'it'\\''s'", "quote escapes '");
		is_str(b, "''", "empty string is ''");
		free(a);
		free(b);
	}
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *q = shell_quote(hostile[i]), *got = sh_echo(q);
		char name[128];

		snprintf(name, sizeof(name), "sh round trip #%zu", i);
		is_str(got, hostile[i], name);
		free(got);
		free(q);
		/* A path that does not start with ~ is quoted the same. */
		if (hostile[i][0] != '~') {
			q = shell_quote_path(hostile[i]);
			got = sh_echo(q);
			snprintf(name, sizeof(name), "path round trip #%zu", i);
			is_str(got, hostile[i], name);
			free(got);
			free(q);
		}
	}

	setenv("HOME", "/tmp/home with space", 1);
	{
		static const struct { const char *in, *want; } tilde[] = {
			{ "~", "/tmp/home with space" },
			{ "~/", "/tmp/home with space/" },
			{ "~/a b/$(x)'y", "/tmp/home with space/a b/$(x)'y" },
			{ "~/.codecast/daemon", "/tmp/home with space/.codecast/daemon" },
			{ "a/~/b", "a/~/b" },
			{ "~;id", "~;id" },
			{ "~-x", "~-x" },
			{ "~$(id)/x", "~$(id)/x" },
			{ "~root", "/root" },
			{ "~root/a b", "/root/a b" },
		};
		for (i = 0; i < sizeof(tilde) / sizeof(tilde[0]); i++) {
			char *q = shell_quote_path(tilde[i].in), *got = sh_echo(q);
			char name[128];

			snprintf(name, sizeof(name), "tilde: %s", tilde[i].in);
			is_str(got, tilde[i].want, name);
			free(got);
			free(q);
		}
	}
	{
		char *a = shell_quote_path("~/a");
		is_str(a, "\"$HOME\"/'a'", "~/a form");
		free(a);
	}

	/* Quoted words never execute anything. */
	{
		char *q = shell_quote("x; touch /tmp/shquote-pwned-$$");
		char *got = sh_echo(q);
		ok(access("/tmp/shquote-pwned-", F_OK) != 0, "no command ran");
		free(got);
		free(q);
	}
	remote_close(r);
	return tap_done();
}
