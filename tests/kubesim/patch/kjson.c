/*
 * kjson.c — structural JSON helpers: deep equality that ignores object key
 * order (linear, indexed for large objects), canonical printing, and indexed
 * member lookup. Never modifies its inputs.
 */
#include "kjson.h"

#include <stdlib.h>
#include <string.h>

#include "patch.h"
#include "util/buf.h"
#include "util/err.h"

/* Below this many members a linear scan beats building a hash map. */
#define INDEX_MIN 16

int kjson_index_init(struct kjson_index *ix, const cJSON *obj)
{
	const cJSON *c;
	int n;

	ix->obj = cJSON_IsObject(obj) ? obj : NULL;
	ix->map = NULL;
	if (!ix->obj)
		return 0;
	n = cJSON_GetArraySize(obj);
	if (n < INDEX_MIN)
		return 0;
	ix->map = strmap_new_sized((size_t)n);
	if (!ix->map)
		return KAIRN_ENOMEM;
	cJSON_ArrayForEach(c, obj) {
		if (c->string && strmap_add(ix->map, c->string, (void *)c) < 0) {
			strmap_free(ix->map);
			ix->map = NULL;
			return KAIRN_ENOMEM;
		}
	}
	return 0;
}

cJSON *kjson_index_get(const struct kjson_index *ix, const char *name)
{
	if (!ix->obj)
		return NULL;
	if (ix->map)
		return strmap_get(ix->map, name);
	return cJSON_GetObjectItemCaseSensitive(ix->obj, name);
}

void kjson_index_fini(struct kjson_index *ix)
{
	strmap_free(ix->map);
	ix->map = NULL;
	ix->obj = NULL;
}

int kjson_is_scalar(const cJSON *v)
{
	return cJSON_IsString(v) || cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v);
}

static int cmp_member_names(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static int canon_append(struct kbuf *b, const cJSON *v)
{
	if (cJSON_IsObject(v)) {
		int n = cJSON_GetArraySize(v), i = 0, rc = 0;
		const cJSON **kids = NULL, *c;

		if (n > 0 && !(kids = malloc(sizeof(*kids) * (size_t)n)))
			return KAIRN_ENOMEM;
		cJSON_ArrayForEach(c, v)
			kids[i++] = c;
		if (n > 1)
			qsort(kids, (size_t)n, sizeof(*kids), cmp_member_names);
		rc = kbuf_putc(b, '{');
		for (i = 0; !rc && i < n; i++) {
			cJSON key = { 0 };

			key.type = cJSON_String;
			key.valuestring = kids[i]->string ? kids[i]->string : (char *)"";
			rc = (i ? kbuf_putc(b, ',') : 0) || canon_append(b, &key) ||
			     kbuf_putc(b, ':') || canon_append(b, kids[i]);
		}
		free(kids);
		return rc ? KAIRN_ENOMEM : kbuf_putc(b, '}');
	}
	if (cJSON_IsArray(v)) {
		const cJSON *c;
		int first = 1;

		if (kbuf_putc(b, '['))
			return KAIRN_ENOMEM;
		cJSON_ArrayForEach(c, v) {
			if ((!first && kbuf_putc(b, ',')) || canon_append(b, c))
				return KAIRN_ENOMEM;
			first = 0;
		}
		return kbuf_putc(b, ']');
	}
	{
		/* Scalars: print a detached shallow copy so ->next is not followed. */
		cJSON tmp = *v;
		char *s;
		int rc;

		tmp.next = tmp.prev = NULL;
		tmp.string = NULL;
		tmp.type &= ~cJSON_StringIsConst;
		s = cJSON_PrintUnformatted(&tmp);
		if (!s)
			return KAIRN_ENOMEM;
		rc = kbuf_puts(b, s);
		free(s);
		return rc;
	}
}

char *kjson_canon(const cJSON *v)
{
	struct kbuf b = { 0 };

	if (!v || canon_append(&b, v)) {
		kbuf_free(&b);
		return NULL;
	}
	return kbuf_steal(&b);
}

static int equal_objects(const cJSON *a, const cJSON *b)
{
	struct kjson_index ix;
	const cJSON *c;
	int eq = 1;

	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return 0;
	if (kjson_index_init(&ix, b))
		return cJSON_Compare(a, b, 1); /* out of memory: fall back to the slow path */
	cJSON_ArrayForEach(c, a) {
		const cJSON *o = kjson_index_get(&ix, c->string ? c->string : "");

		if (!o || !kjson_equal(c, o)) {
			eq = 0;
			break;
		}
	}
	kjson_index_fini(&ix);
	return eq;
}

int kjson_equal(const cJSON *a, const cJSON *b)
{
	if (a == b)
		return 1;
	if (!a || !b)
		return 0;
	if ((a->type & 0xFF) != (b->type & 0xFF))
		return 0;
	switch (a->type & 0xFF) {
	case cJSON_False:
	case cJSON_True:
	case cJSON_NULL:
		return 1;
	case cJSON_Number:
		return a->valuedouble == b->valuedouble;
	case cJSON_String:
	case cJSON_Raw:
		if (!a->valuestring || !b->valuestring)
			return a->valuestring == b->valuestring;
		return strcmp(a->valuestring, b->valuestring) == 0;
	case cJSON_Array: {
		const cJSON *x = a->child, *y = b->child;

		for (; x && y; x = x->next, y = y->next)
			if (!kjson_equal(x, y))
				return 0;
		return !x && !y;
	}
	case cJSON_Object:
		return equal_objects(a, b);
	default:
		return 0;
	}
}
