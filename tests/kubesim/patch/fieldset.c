/*
 * fieldset.c — field-path sets (see fieldset.h). Pure data structure: knows
 * nothing of objects or schema beyond the FieldsV1 encoding.
 */
#include "fieldset.h"

#include <stdlib.h>
#include <string.h>

#include "kjson.h"
#include "util/buf.h"
#include "util/err.h"

/* Children are indexed once a node has more than this many. */
#define INDEX_MIN 8

struct kfset *kfset_new(void)
{
	return calloc(1, sizeof(struct kfset));
}

void kfset_free(struct kfset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		kfset_free(s->kids[i]);
	free(s->kids);
	strmap_free(s->ix);
	free(s->name);
	free(s);
}

struct kfset *kfset_get(const struct kfset *s, const char *name)
{
	if (s->ix)
		return strmap_get(s->ix, name);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->kids[i]->name, name) == 0)
			return s->kids[i];
	return NULL;
}

static int index_kids(struct kfset *s)
{
	if (!(s->ix = strmap_new_sized(s->n * 2)))
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < s->n; i++)
		if (strmap_put(s->ix, s->kids[i]->name, s->kids[i], NULL) < 0)
			return KAIRN_ENOMEM;
	return 0;
}

struct kfset *kfset_add(struct kfset *s, const char *name)
{
	struct kfset *k = kfset_get(s, name);

	if (k)
		return k;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct kfset **kids = realloc(s->kids, cap * sizeof(*kids));

		if (!kids)
			return NULL;
		s->kids = kids;
		s->cap = cap;
	}
	if (!(k = kfset_new()) || !(k->name = strdup(name))) {
		kfset_free(k);
		return NULL;
	}
	s->kids[s->n++] = k;
	if (s->ix) {
		if (strmap_put(s->ix, k->name, k, NULL) < 0)
			return NULL;
	} else if (s->n > INDEX_MIN && index_kids(s)) {
		strmap_free(s->ix);
		s->ix = NULL;
		return NULL;
	}
	return k;
}

int kfset_empty(const struct kfset *s)
{
	if (!s)
		return 1;
	if (s->member)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (!kfset_empty(s->kids[i]))
			return 0;
	return 1;
}

int kfset_union(struct kfset *dst, const struct kfset *src)
{
	if (!src)
		return 0;
	dst->member |= src->member;
	for (size_t i = 0; i < src->n; i++) {
		struct kfset *d = kfset_add(dst, src->kids[i]->name);

		if (!d || kfset_union(d, src->kids[i]))
			return KAIRN_ENOMEM;
	}
	return 0;
}

/* Frees children that hold no member any more. */
static void drop_empty_kids(struct kfset *s)
{
	size_t w = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct kfset *k = s->kids[i];

		if (!k->member && k->n == 0) {
			if (s->ix)
				strmap_del(s->ix, k->name);
			kfset_free(k);
			continue;
		}
		s->kids[w++] = k;
	}
	s->n = w;
}

void kfset_subtract(struct kfset *dst, const struct kfset *src, int recursive)
{
	if (!dst || !src)
		return;
	if (src->member) {
		dst->member = 0;
		if (recursive) {
			for (size_t i = 0; i < dst->n; i++) {
				if (dst->ix)
					strmap_del(dst->ix, dst->kids[i]->name);
				kfset_free(dst->kids[i]);
			}
			dst->n = 0;
			return;
		}
	}
	for (size_t i = 0; i < src->n; i++)
		kfset_subtract(kfset_get(dst, src->kids[i]->name), src->kids[i], recursive);
	drop_empty_kids(dst);
}

int kfset_intersect(const struct kfset *a, const struct kfset *b, struct kfset **out)
{
	struct kfset *r = kfset_new();

	*out = NULL;
	if (!r)
		return KAIRN_ENOMEM;
	r->member = a->member && b->member;
	/* Walk the smaller side, look up in the other. */
	if (a->n > b->n) {
		const struct kfset *t = a;

		a = b;
		b = t;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct kfset *o = kfset_get(b, a->kids[i]->name);
		struct kfset *sub, *slot;

		if (!o)
			continue;
		if (kfset_intersect(a->kids[i], o, &sub))
			goto nomem;
		if (!sub->member && sub->n == 0) {
			kfset_free(sub);
			continue;
		}
		if (!(slot = kfset_add(r, a->kids[i]->name))) {
			kfset_free(sub);
			goto nomem;
		}
		/* Move sub's content into the fresh slot. */
		slot->member = sub->member;
		if (kfset_union(slot, sub)) {
			kfset_free(sub);
			goto nomem;
		}
		kfset_free(sub);
	}
	*out = r;
	return 0;
nomem:
	kfset_free(r);
	return KAIRN_ENOMEM;
}

int kfset_equal(const struct kfset *a, const struct kfset *b)
{
	size_t na = 0, nb = 0;

	if (kfset_empty(a) || kfset_empty(b))
		return kfset_empty(a) && kfset_empty(b);
	if (a->member != b->member)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (kfset_empty(a->kids[i]))
			continue;
		na++;
		if (!kfset_equal(a->kids[i], kfset_get(b, a->kids[i]->name)))
			return 0;
	}
	for (size_t i = 0; i < b->n; i++)
		if (!kfset_empty(b->kids[i]))
			nb++;
	return na == nb;
}

static int parse_into(struct kfset *s, const cJSON *f)
{
	const cJSON *c;

	if (!cJSON_IsObject(f))
		return 0;
	if (!f->child)
		s->member = 1;
	cJSON_ArrayForEach(c, f) {
		struct kfset *k;

		if (!c->string || !cJSON_IsObject(c))
			continue;
		if (!strcmp(c->string, ".")) {
			s->member = 1;
			continue;
		}
		if (strlen(c->string) < 2 || c->string[1] != ':' || !strchr("fkvi", c->string[0]))
			continue;
		if (!(k = kfset_add(s, c->string)) || parse_into(k, c))
			return KAIRN_ENOMEM;
	}
	return 0;
}

struct kfset *kfset_from_json(const cJSON *f)
{
	struct kfset *s = kfset_new();

	if (!s)
		return NULL;
	if (parse_into(s, f)) {
		kfset_free(s);
		return NULL;
	}
	s->member = 0; /* the root is never a path of its own */
	drop_empty_kids(s);
	return s;
}

/* The apiserver orders path elements: fields, then keys, values, indexes. */
static int rank(const char *name)
{
	switch (name[0]) {
	case 'f': return 0;
	case 'k': return 1;
	case 'v': return 2;
	default: return 3;
	}
}

static int cmp_kids(const void *a, const void *b)
{
	const struct kfset *x = *(struct kfset *const *)a, *y = *(struct kfset *const *)b;
	int rx = rank(x->name), ry = rank(y->name);

	if (rx != ry)
		return rx - ry;
	if (rx == 3) {
		long ix = strtol(x->name + 2, NULL, 10), iy = strtol(y->name + 2, NULL, 10);

		if (ix != iy)
			return ix < iy ? -1 : 1;
	}
	return strcmp(x->name, y->name);
}

/* Sorted copy of s's non-empty children (caller frees the array). */
static struct kfset **sorted_kids(const struct kfset *s, size_t *n)
{
	struct kfset **v = malloc((s->n ? s->n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (!kfset_empty(s->kids[i]))
			v[(*n)++] = s->kids[i];
	qsort(v, *n, sizeof(*v), cmp_kids);
	return v;
}

cJSON *kfset_to_json(const struct kfset *s)
{
	cJSON *o = cJSON_CreateObject();
	struct kfset **kids;
	size_t n;

	if (!o || !(kids = sorted_kids(s, &n))) {
		cJSON_Delete(o);
		return NULL;
	}
	if (s->member && n > 0 && !cJSON_AddObjectToObject(o, "."))
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		cJSON *k = kfset_to_json(kids[i]);

		if (!k)
			goto nomem;
		cJSON_AddItemToObject(o, kids[i]->name, k);
	}
	free(kids);
	return o;
nomem:
	free(kids);
	cJSON_Delete(o);
	return NULL;
}

/* Appends the rendering of path element name ("f:x" → ".x", ...). */
static int render_element(struct kbuf *b, const char *name)
{
	const char *rest = name + 2;

	switch (name[0]) {
	case 'f':
		return kbuf_putc(b, '.') || kbuf_puts(b, rest);
	case 'v':
		return kbuf_puts(b, "[=") || kbuf_puts(b, rest) || kbuf_putc(b, ']');
	case 'i':
		return kbuf_putc(b, '[') || kbuf_puts(b, rest) || kbuf_putc(b, ']');
	default: {
		cJSON *key = cJSON_Parse(rest), *c;
		int rc = kbuf_putc(b, '['), first = 1;

		cJSON_ArrayForEach(c, key) {
			char *v = kjson_canon(c);

			rc = rc || (!first && kbuf_putc(b, ',')) || kbuf_puts(b, c->string) || kbuf_putc(b, '=') ||
			     !v || kbuf_puts(b, v);
			free(v);
			first = 0;
		}
		cJSON_Delete(key);
		return rc || kbuf_putc(b, ']');
	}
	}
}

static int each_path(const struct kfset *s, struct kbuf *prefix, kfset_path_fn fn, void *arg)
{
	size_t n, len = prefix->len;
	struct kfset **kids = sorted_kids(s, &n);
	int rc = 0;

	if (!kids)
		return KAIRN_ENOMEM;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < n && !rc; i++) {
			if (pass == 0 && !kids[i]->member)
				continue;
			if (pass == 1 && kids[i]->n == 0)
				continue;
			if (render_element(prefix, kids[i]->name)) {
				rc = KAIRN_ENOMEM;
				break;
			}
			rc = pass == 0 ? fn(prefix->data, arg) : each_path(kids[i], prefix, fn, arg);
			prefix->len = len;
			prefix->data[len] = '\0';
		}
	}
	free(kids);
	return rc;
}

int kfset_each_path(const struct kfset *s, kfset_path_fn fn, void *arg)
{
	struct kbuf b = { 0 };
	int rc;

	if (kbuf_puts(&b, ""))
		return KAIRN_ENOMEM;
	rc = each_path(s, &b, fn, arg);
	kbuf_free(&b);
	return rc;
}
