/* pathname.h — joining and splitting path strings.  No file system access;
 * works the same for local paths and paths on a peer.
 *
 * pathname_join("a", "b")   -> "a/b"     pathname_join("a/", "b") -> "a/b"
 * pathname_base("a/b")      -> "b"       pathname_base("a/b//")   -> "b"
 * pathname_base("b")        -> "b"       pathname_base("/")       -> ""
 *
 * Both return malloc'd strings. */
#ifndef CC_PATHNAME_H
#define CC_PATHNAME_H

/* dir and name with exactly the one '/' between them that dir lacks
 * (an empty dir gives "/name"). */
char *pathname_join(const char *dir, const char *name);

/* The last component of a path, trailing slashes ignored. */
char *pathname_base(const char *path);

#endif
