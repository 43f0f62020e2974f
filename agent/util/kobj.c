/*
 * kobj.c — object identity and the object set (see kobj.h).
 *
 * The set is an insertion-ordered array plus a util/strmap index of array
 * positions.
 * Never: validate objects (manifest/ does), or share cJSON between kobjs.
 */
#include "kobj.h"
#include "buf.h"
#include "strmap.h"
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

char *kobj_key_make(const char *group, const char *kind, const char *ns, const char *name)
{
	struct kbuf b = { 0 };

	if (kbuf_printf(&b, "%s/%s/%s/%s", group ? group : "", kind ? kind : "", ns ? ns : "",
			name ? name : ""))
		return NULL;
	return kbuf_steal(&b);
}

int kobj_split_api_version(const char *api_version, char **group, char **version)
{
	const char *slash = strchr(api_version, '/');

	*group = slash ? strndup(api_version, (size_t)(slash - api_version)) : strdup("");
	*version = strdup(slash ? slash + 1 : api_version);
	if (!*group || !*version) {
		free(*group);
		free(*version);
		*group = *version = NULL;
		return KAIRN_ENOMEM;
	}
	return 0;
}

static char *str_or_empty(const cJSON *n)
{
	return strdup(cJSON_IsString(n) ? n->valuestring : "");
}

static int kobj_rekey(struct kobj *k)
{
	struct kbuf name = { 0 };
	char *key;

	if (k->generate_name && !*k->name)
		kbuf_printf(&name, "%s*", k->generate_name);
	else
		kbuf_puts(&name, k->name);
	key = name.data ? kobj_key_make(k->group, k->kind, k->namespace, name.data) : NULL;
	kbuf_free(&name);
	if (!key)
		return KAIRN_ENOMEM;
	free(k->key);
	k->key = key;
	return 0;
}

int kobj_new(cJSON *obj, const char *file, int line, struct kobj **out, struct kerr *e)
{
	struct kobj *k = calloc(1, sizeof(*k));
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *av = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	const cJSON *gn = cJSON_GetObjectItemCaseSensitive(meta, "generateName");

	*out = NULL;
	if (!k) {
		cJSON_Delete(obj);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	k->obj = obj;
	k->line = line;
	if (!cJSON_IsString(av) || !cJSON_IsString(kind)) {
		kobj_free(k);
		return kerr_set(e, KAIRN_EINVAL, "%s:%d: object without apiVersion or kind",
				file ? file : "", line);
	}
	k->api_version = strdup(av->valuestring);
	k->kind = strdup(kind->valuestring);
	k->namespace = str_or_empty(cJSON_GetObjectItemCaseSensitive(meta, "namespace"));
	k->name = str_or_empty(cJSON_GetObjectItemCaseSensitive(meta, "name"));
	k->generate_name = cJSON_IsString(gn) ? strdup(gn->valuestring) : NULL;
	k->file = strdup(file ? file : "");
	if (!k->api_version || !k->kind || !k->namespace || !k->name || !k->file ||
	    (cJSON_IsString(gn) && !k->generate_name) ||
	    kobj_split_api_version(k->api_version, &k->group, &k->version) || kobj_rekey(k)) {
		kobj_free(k);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	*out = k;
	return 0;
}

int kobj_set_namespace(struct kobj *k, const char *ns, struct kerr *e)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(k->obj, "metadata");
	char *copy = strdup(ns);

	if (!copy)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (!cJSON_IsObject(meta)) {
		meta = cJSON_AddObjectToObject(k->obj, "metadata");
		if (!meta) {
			free(copy);
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	if (*ns && !cJSON_AddStringToObject(meta, "namespace", ns)) {
		free(copy);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	free(k->namespace);
	k->namespace = copy;
	return kobj_rekey(k) ? kerr_set(e, KAIRN_ENOMEM, "out of memory") : 0;
}

void kobj_free(struct kobj *k)
{
	if (!k)
		return;
	cJSON_Delete(k->obj);
	free(k->api_version);
	free(k->group);
	free(k->version);
	free(k->kind);
	free(k->namespace);
	free(k->name);
	free(k->generate_name);
	free(k->key);
	free(k->file);
	free(k);
}

/* ------------------------------------------------------------------ */

/* The set: members in insertion order, and an index key -> position + 1
 * (util/strmap; +1 so that position 0 is not a NULL value). */
struct kobj_set {
	struct kobj **items;
	size_t n, cap;
	struct strmap *index;
};

static void *pos_value(size_t pos)
{
	return (void *)(uintptr_t)(pos + 1);
}

/* A fresh index of every member. On a key shared by two members, returns
 * KAIRN_ECONFLICT with their positions in *first and *second. */
static int index_rebuild(struct kobj_set *s, size_t *first, size_t *second)
{
	struct strmap *m = strmap_new();

	if (!m)
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		void *old = NULL;

		if (strmap_put(m, s->items[i]->key, pos_value(i), &old)) {
			strmap_free(m);
			return KAIRN_ENOMEM;
		}
		if (old && first) {
			*first = (size_t)(uintptr_t)old - 1;
			*second = i;
			strmap_put(m, s->items[i]->key, old, NULL); /* keep the first */
			strmap_free(s->index);
			s->index = m;
			return KAIRN_ECONFLICT;
		}
	}
	strmap_free(s->index);
	s->index = m;
	return 0;
}

int kobj_set_new(struct kobj_set **out)
{
	struct kobj_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s || !(s->index = strmap_new())) {
		free(s);
		return KAIRN_ENOMEM;
	}
	*out = s;
	return 0;
}

struct kobj *kobj_set_get(const struct kobj_set *s, const char *key)
{
	uintptr_t v = (uintptr_t)strmap_get(s->index, key);

	return v ? s->items[v - 1] : NULL;
}

int kobj_set_add(struct kobj_set *s, struct kobj *k, const struct kobj **existing)
{
	const struct kobj *prev = kobj_set_get(s, k->key);

	if (prev) {
		if (existing)
			*existing = prev;
		return KAIRN_ECONFLICT;
	}
	if (vec_reserve(s->items, s->n, s->cap, 64))
		return KAIRN_ENOMEM;
	if (strmap_put(s->index, k->key, pos_value(s->n), NULL))
		return KAIRN_ENOMEM;
	s->items[s->n++] = k;
	return 0;
}

struct kobj *kobj_set_remove(struct kobj_set *s, const char *key)
{
	uintptr_t v = (uintptr_t)strmap_get(s->index, key);
	size_t pos;
	struct kobj *k;

	if (!v)
		return NULL;
	pos = v - 1;
	k = s->items[pos];
	memmove(s->items + pos, s->items + pos + 1, (s->n - pos - 1) * sizeof(*s->items));
	s->n--;
	if (index_rebuild(s, NULL, NULL)) {
		/* cannot rebuild: put it back so the set stays consistent */
		memmove(s->items + pos + 1, s->items + pos, (s->n - pos) * sizeof(*s->items));
		s->items[pos] = k;
		s->n++;
		return NULL;
	}
	return k;
}

int kobj_set_reindex(struct kobj_set *s, const struct kobj **a, const struct kobj **b)
{
	size_t first = 0, second = 0;
	int rc = index_rebuild(s, &first, &second);

	if (rc == KAIRN_ECONFLICT) {
		*a = s->items[first];
		*b = s->items[second];
	}
	return rc;
}

size_t kobj_set_count(const struct kobj_set *s)
{
	return s ? s->n : 0;
}

struct kobj *kobj_set_at(const struct kobj_set *s, size_t i)
{
	return i < s->n ? s->items[i] : NULL;
}

void kobj_set_free(struct kobj_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		kobj_free(s->items[i]);
	free(s->items);
	strmap_free(s->index);
	free(s);
}
