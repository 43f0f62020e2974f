/*
 * strmap.c — open-addressing hash map (FNV-1a, linear probing, tombstones).
 * Owns its key copies, never the values.
 */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define TOMBSTONE ((char *)1)

struct slot {
	char *key; /* NULL: empty, TOMBSTONE: deleted */
	void *val;
};

struct kstrmap {
	struct slot *slots;
	size_t cap;  /* power of two */
	size_t len;  /* live keys */
	size_t used; /* live keys + tombstones */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct kstrmap *kstrmap_new(size_t hint)
{
	struct kstrmap *m = calloc(1, sizeof(*m));
	size_t cap = 16;

	if (!m)
		return NULL;
	while (cap < hint * 2)
		cap <<= 1;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->cap = cap;
	return m;
}

void kstrmap_free(struct kstrmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key && m->slots[i].key != TOMBSTONE)
			free(m->slots[i].key);
	free(m->slots);
	free(m);
}

/* The slot holding key, or the first free slot on its probe path. */
static struct slot *find_slot(const struct kstrmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = (size_t)hash_str(key) & mask;
	struct slot *free_slot = NULL;

	for (;;) {
		struct slot *s = &m->slots[i];

		if (!s->key)
			return free_slot ? free_slot : s;
		if (s->key == TOMBSTONE) {
			if (!free_slot)
				free_slot = s;
		} else if (strcmp(s->key, key) == 0) {
			return s;
		}
		i = (i + 1) & mask;
	}
}

static int grow(struct kstrmap *m)
{
	struct kstrmap bigger = { 0 };

	bigger.cap = m->cap * 2;
	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct slot *s = &m->slots[i];

		if (s->key && s->key != TOMBSTONE)
			*find_slot(&bigger, s->key) = *s;
	}
	free(m->slots);
	m->slots = bigger.slots;
	m->cap = bigger.cap;
	m->used = m->len;
	return 0;
}

static int insert(struct kstrmap *m, const char *key, void *val, int replace)
{
	struct slot *s;

	if ((m->used + 1) * 4 > m->cap * 3 && grow(m))
		return KAIRN_ENOMEM;
	s = find_slot(m, key);
	if (s->key && s->key != TOMBSTONE) {
		if (replace)
			s->val = val;
		return 0;
	}
	if (!s->key)
		m->used++;
	s->key = strdup(key);
	if (!s->key) {
		s->key = TOMBSTONE;
		return KAIRN_ENOMEM;
	}
	s->val = val;
	m->len++;
	return 1;
}

int kstrmap_put(struct kstrmap *m, const char *key, void *val)
{
	int rc = insert(m, key, val, 1);

	return rc < 0 ? rc : 0;
}

int kstrmap_add(struct kstrmap *m, const char *key, void *val)
{
	return insert(m, key, val, 0);
}

void *kstrmap_get(const struct kstrmap *m, const char *key)
{
	struct slot *s = find_slot(m, key);

	return (s->key && s->key != TOMBSTONE) ? s->val : NULL;
}

void kstrmap_del(struct kstrmap *m, const char *key)
{
	struct slot *s = find_slot(m, key);

	if (s->key && s->key != TOMBSTONE) {
		free(s->key);
		s->key = TOMBSTONE;
		m->len--;
	}
}

size_t kstrmap_len(const struct kstrmap *m)
{
	return m->len;
}
