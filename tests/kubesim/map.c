/*
 * map.c — kubesim's string-keyed hash map (chained, power-of-two buckets,
 * grows at load 1). Keys are copied, values borrowed. Iterable, unlike the
 * patch library's private map. Not thread-safe: callers hold srv->mu.
 */
#include <stdlib.h>
#include <string.h>
#include "ks.h"

struct ks_node {
	struct ks_node *next;
	uint32_t hash;
	void *val;
	char key[];
};

struct ks_map {
	struct ks_node **b;
	size_t cap, len;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct ks_map *ks_map_new(void)
{
	struct ks_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cap = 16;
	m->b = calloc(m->cap, sizeof(*m->b));
	if (!m->b) {
		free(m);
		return NULL;
	}
	return m;
}

void ks_map_free(struct ks_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		struct ks_node *n = m->b[i];
		while (n) {
			struct ks_node *next = n->next;
			free(n);
			n = next;
		}
	}
	free(m->b);
	free(m);
}

static struct ks_node **find_slot(const struct ks_map *m, const char *key, uint32_t h)
{
	struct ks_node **p = &m->b[h & (m->cap - 1)];
	while (*p && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next;
	return p;
}

void *ks_map_get(const struct ks_map *m, const char *key)
{
	struct ks_node **p = find_slot(m, key, hash_str(key));
	return *p ? (*p)->val : NULL;
}

static int grow(struct ks_map *m)
{
	size_t ncap = m->cap * 2;
	struct ks_node **nb = calloc(ncap, sizeof(*nb));
	if (!nb)
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct ks_node *n = m->b[i];
		while (n) {
			struct ks_node *next = n->next;
			n->next = nb[n->hash & (ncap - 1)];
			nb[n->hash & (ncap - 1)] = n;
			n = next;
		}
	}
	free(m->b);
	m->b = nb;
	m->cap = ncap;
	return 0;
}

int ks_map_put(struct ks_map *m, const char *key, void *val)
{
	uint32_t h = hash_str(key);
	struct ks_node **p = find_slot(m, key, h);
	if (*p) {
		(*p)->val = val;
		return 0;
	}
	size_t kl = strlen(key);
	struct ks_node *n = malloc(sizeof(*n) + kl + 1);
	if (!n)
		return KAIRN_ENOMEM;
	memcpy(n->key, key, kl + 1);
	n->hash = h;
	n->val = val;
	n->next = NULL;
	*p = n;
	m->len++;
	if (m->len > m->cap)
		(void)grow(m); /* a failed grow only costs speed */
	return 0;
}

void *ks_map_del(struct ks_map *m, const char *key)
{
	struct ks_node **p = find_slot(m, key, hash_str(key));
	if (!*p)
		return NULL;
	struct ks_node *n = *p;
	void *val = n->val;
	*p = n->next;
	free(n);
	m->len--;
	return val;
}

size_t ks_map_len(const struct ks_map *m)
{
	return m->len;
}

void ks_map_each(const struct ks_map *m, void (*fn)(const char *key, void *val, void *arg), void *arg)
{
	for (size_t i = 0; i < m->cap; i++)
		for (struct ks_node *n = m->b[i]; n; n = n->next)
			fn(n->key, n->val, arg);
}
