/* strmap.c — string-keyed hash map.  See strmap.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "util.h"

struct strmap_slot {
	char *key;	/* NULL: empty; &tomb: deleted */
	void *val;
};

static char tomb;

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct strmap_slot *
find(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct strmap_slot *s = &m->slots[i];

		if (s->key == NULL)
			return NULL;
		if (s->key != &tomb && strcmp(s->key, key) == 0)
			return s;
	}
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

static void
grow(struct strmap *m)
{
	struct strmap_slot *old = m->slots;
	size_t oldcap = m->cap, i;

	m->cap = m->cap ? (m->n * 4 >= m->cap ? m->cap * 2 : m->cap) : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->used = m->n;
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (old[i].key == NULL || old[i].key == &tomb)
			continue;
		for (j = hash(old[i].key) & (m->cap - 1); m->slots[j].key;
		    j = (j + 1) & (m->cap - 1))
			;
		m->slots[j] = old[i];
	}
	free(old);
}

void *
strmap_put(struct strmap *m, const char *key, void *val)
{
	struct strmap_slot *s = find(m, key);
	size_t i;

	if (s) {
		void *prev = s->val;

		s->val = val;
		return prev;
	}
	if ((m->used + 1) * 4 >= m->cap * 3)
		grow(m);
	for (i = hash(key) & (m->cap - 1); m->slots[i].key && m->slots[i].key != &tomb;
	    i = (i + 1) & (m->cap - 1))
		;
	if (m->slots[i].key == NULL)
		m->used++;
	m->slots[i].key = xstrdup(key);
	m->slots[i].val = val;
	m->n++;
	return NULL;
}

void *
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot *s = find(m, key);
	void *v;

	if (s == NULL)
		return NULL;
	v = s->val;
	free(s->key);
	s->key = &tomb;
	s->val = NULL;
	m->n--;
	return v;
}

void
strmap_each(const struct strmap *m, void (*fn)(const char *, void *, void *), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != &tomb)
			fn(m->slots[i].key, m->slots[i].val, arg);
}

void
strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != &tomb)
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

void
strmap_free_with(struct strmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key != NULL && m->slots[i].key != &tomb) {
			if (free_val)
				free_val(m->slots[i].val);
			else
				free(m->slots[i].val);
		}
	strmap_free(m);
}
