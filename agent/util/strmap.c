/*
 * strmap.c — see strmap.h. Deletion uses backward-shift so no tombstones
 * accumulate; the table grows at 70% load.
 */
#include "strmap.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char *key; /* NULL = empty */
	uint64_t hash;
	void *value;
};

struct strmap {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t len;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct strmap *strmap_new(void)
{
	return strmap_new_sized(0);
}

struct strmap *strmap_new_sized(size_t hint)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 16;
	while (m->cap * 7 < hint * 10 && m->cap < ((size_t)1 << 40))
		m->cap *= 2;
	m->slots = calloc(m->cap, sizeof(struct slot));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

static size_t find(const struct strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	while (m->slots[i].key &&
	       (m->slots[i].hash != h || strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

static int grow(struct strmap *m)
{
	struct slot *old = m->slots;
	size_t oldcap = m->cap;

	m->slots = calloc(oldcap * 2, sizeof(struct slot));
	if (!m->slots) {
		m->slots = old;
		return KAIRN_ENOMEM;
	}
	m->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key) {
			size_t mask = m->cap - 1, j = (size_t)old[i].hash & mask;

			while (m->slots[j].key)
				j = (j + 1) & mask;
			m->slots[j] = old[i];
		}
	}
	free(old);
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value, void **old)
{
	uint64_t h = fnv1a(key);
	size_t i;

	if (old)
		*old = NULL;
	if ((m->len + 1) * 10 > m->cap * 7 && grow(m))
		return KAIRN_ENOMEM;
	i = find(m, key, h);
	if (m->slots[i].key) {
		if (old)
			*old = m->slots[i].value;
		m->slots[i].value = value;
		return 0;
	}
	m->slots[i].key = strdup(key);
	if (!m->slots[i].key)
		return KAIRN_ENOMEM;
	m->slots[i].hash = h;
	m->slots[i].value = value;
	m->len++;
	return 0;
}

int strmap_add(struct strmap *m, const char *key, void *value)
{
	int rc;

	if (m->slots[find(m, key, fnv1a(key))].key)
		return 0;
	if ((rc = strmap_put(m, key, value, NULL)))
		return rc;
	return 1;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	size_t i = find(m, key, fnv1a(key));

	return m->slots[i].key ? m->slots[i].value : NULL;
}

void *strmap_del(struct strmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = find(m, key, fnv1a(key)), j;
	void *v;

	if (!m->slots[i].key)
		return NULL;
	v = m->slots[i].value;
	free(m->slots[i].key);
	m->slots[i].key = NULL;
	m->len--;
	/* Backward-shift the run after i so lookups never stop early. */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;

		/* Move j to i if i lies cyclically in [home, j). */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return v;
}

size_t strmap_len(const struct strmap *m)
{
	return m->len;
}

int strmap_next(const struct strmap *m, size_t *iter, const char **key, void **value)
{
	while (*iter < m->cap) {
		size_t i = (*iter)++;

		if (m->slots[i].key) {
			if (key)
				*key = m->slots[i].key;
			if (value)
				*value = m->slots[i].value;
			return 1;
		}
	}
	return 0;
}

void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *value, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			fn(m->slots[i].key, m->slots[i].value, arg);
}
