/* shquote.c — see shquote.h. */
#include "shquote.h"

#include <string.h>

void
buf_shell_quote(struct buf *b, const char *s)
{
	buf_putc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '\'');
}

char *
shell_quote(const char *s)
{
	struct buf b = {0};

	buf_shell_quote(&b, s);
	return buf_steal(&b);
}

static int
portable_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

void
buf_shell_quote_path(struct buf *b, const char *s)
{
	size_t n;

	if (s[0] != '~') {
		buf_shell_quote(b, s);
		return;
	}
	if (s[1] == '\0' || s[1] == '/') {
		buf_puts(b, "\"$HOME\"");
		s++;
		if (*s == '/') {
			buf_putc(b, '/');
			s++;
		}
	} else {
		/* ~user or ~user/...: keep the prefix unquoted only when the
		 * name is plainly a user name (and does not start with '-'). */
		for (n = 1; portable_name_char(s[n]); n++)
			;
		if (n == 1 || s[1] == '-' || (s[n] != '\0' && s[n] != '/')) {
			buf_shell_quote(b, s);
			return;
		}
		if (s[n] == '/')
			n++;	/* the prefix ends at an unquoted slash */
		buf_append(b, s, n);
		s += n;
	}
	if (*s)
		buf_shell_quote(b, s);
}

char *
shell_quote_path(const char *s)
{
	struct buf b = {0};

	buf_shell_quote_path(&b, s);
	return buf_steal(&b);
}

char *
shell_watched(const char *cmd)
{
	return xasprintf(
	    "exec 3<&0 </dev/null\n"
	    "{ while read -r _ <&3; do :; done; kill -TERM 0; } >/dev/null 2>&1 &\n"
	    "cc_watch=$!\n"
	    "exec 3<&-\n"
	    "(\n%s\n)\n"
	    "cc_status=$?\n"
	    "kill \"$cc_watch\" 2>/dev/null\n"
	    "exit \"$cc_status\"\n", cmd);
}
