/* Unit tests for lib/pathname: joining and last components. */
#include <stdlib.h>

#include "pathname.h"
#include "tap.h"

static void
join_is(const char *dir, const char *name, const char *want)
{
	char *got = pathname_join(dir, name);

	is_str(got, want, want);
	free(got);
}

static void
base_is(const char *path, const char *want)
{
	char *got = pathname_base(path);

	is_str(got, want, path);
	free(got);
}

int
main(void)
{
	join_is("a", "b", "a/b");
	join_is("a/", "b", "a/b");
	join_is("/", "b", "/b");
	join_is("", "b", "/b");
	join_is("~/x y", ".claude/skills", "~/x y/.claude/skills");

	base_is("a/b", "b");
	base_is("a/b/", "b");
	base_is("a/b//", "b");
	base_is("/a", "a");
	base_is("b", "b");
	base_is("~/f g.txt", "f g.txt");
	base_is("/", "");
	base_is("", "");
	base_is("/x/..", "..");
	return tap_done();
}
