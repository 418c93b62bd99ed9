/* strmap.h — a hash map from C strings to pointers (open addressing).
 * The map copies keys; values are the caller's.  Used by the bridge for
 * refs and channels; nothing in it is bridge-specific. */
#ifndef CC_STRMAP_H
#define CC_STRMAP_H

#include <stddef.h>

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n, used;	/* used: live + deleted slots */
};

/* Zero-initialise a struct strmap before use. */
void *strmap_get(const struct strmap *m, const char *key);
/* Set key to val (val non-NULL); returns the value it replaced or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *val);
/* Remove key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
/* Call fn for every entry (the map must not change meanwhile). */
void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *val, void *arg),
    void *arg);
/* Free the map's memory (not the values). */
void strmap_free(struct strmap *m);
/* Free every value with free_val (free(3) when NULL), then the map. */
void strmap_free_with(struct strmap *m, void (*free_val)(void *val));

#endif
