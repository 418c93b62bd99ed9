/* names.h — adjective-noun session names (bright-falcon), as upstream's
 * name generator makes them, and the rule /rename checks. */
#ifndef CC_NAMES_H
#define CC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* A random "adjective-noun" (malloc'd). */
char *name_random(void);
/* "adjective-noun-K" from one random base (malloc'd). */
char *name_with_suffix(const char *base, unsigned k);
/* Valid: 1..50 chars, [a-z0-9]+(-[a-z0-9]+)+ . */
bool name_valid(const char *s);
/* The word lists, for tests. */
size_t name_adjectives(const char *const **words);
size_t name_nouns(const char *const **words);

#endif
