/* md_html: escaping, raw HTML as text, links by scheme, images never
 * loaded, code, invalid UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "md_html.h"
#include "tap.h"

static char *
render(const char *md)
{
	struct buf b = { 0 };

	md_html(md, strlen(md), &b);
	return buf_steal(&b);
}

static void
renders(const char *md, const char *want, const char *name)
{
	char *got = render(md);

	is_str(got, want, name);
	free(got);
}

static void
lacks(const char *md, const char *bad, const char *name)
{
	char *got = render(md);

	if (!ok(strstr(got, bad) == NULL, name))
		printf("#   got %s\n", got);
	free(got);
}

int
main(void)
{
	struct buf b = { 0 };

	html_escape_str(&b, "<a href=\"x\" title='y'>&amp;</a>");
	is_str(b.s, "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
	    "escape: & < > \" '");
	buf_clear(&b);
	html_escape(&b, "a\xff" "b\0c\xc3\xa9", 7);
	is_str(b.s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9",
	    "escape: invalid byte and NUL become U+FFFD, valid UTF-8 stays");
	buf_free(&b);

	renders("**bold** _it_ `x<y`", "<p><strong>bold</strong> <em>it</em> <code>x&lt;y</code></p>",
	    "spans");
	renders("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
	    "raw HTML block is text");
	renders("a <script>alert(1)</script> b", "<p>a &lt;script&gt;alert(1)&lt;/script&gt; b</p>",
	    "inline raw HTML is text");
	renders("```c\nint a<b;\n```", "<pre><code class=\"language-c\">int a&lt;b;</code></pre>",
	    "fenced code with its language");
	renders("```\"><x\nq\n```", "<pre><code class=\"language-&quot;&gt;&lt;x\">q</code></pre>",
	    "a hostile info string is escaped in the attribute");
	renders("[site](https://example.com/?a=1&b=\"2\")",
	    "<p><a href=\"https://example.com/?a=1&amp;b=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">site</a></p>",
	    "an https link");
	lacks("[x](javascript:alert(1))", "href", "javascript: is no link");
	lacks("[x](JaVaScRiPt:alert(1))", "href", "nor in any case");
	lacks("[x](data:text/html,<script>)", "href", "data: is no link");
	lacks("![alt](https://evil.example/p.png)", "<img", "images are not loaded");
	renders("![alt](https://e.example/p.png)",
	    "<p><a href=\"https://e.example/p.png\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">[image: alt]</a></p>",
	    "an image becomes a link to it");
	renders("# T\n\n- [x] done\n- [ ] open\n\n> q",
	    "<h3>T</h3><ul><li><input type=\"checkbox\" disabled checked> done</li><li><input type=\"checkbox\" disabled> open</li></ul><blockquote><p>q</p></blockquote>",
	    "heading, task list, quote");
	renders("", "", "empty");
	return tap_done();
}
