/*
 * strategic.c — Kubernetes strategic merge patch for built-in kinds.
 *
 * Maps merge key by key; null deletes. Lists follow the schema table: keyed
 * lists merge items by their merge key, sets of primitives take the union,
 * everything else is replaced. Directives: $patch (replace|delete|merge in
 * maps and list items), $setElementOrder/<f>, $retainKeys,
 * $deleteFromPrimitiveList/<f>; none of them survives into the result.
 * Merges are linear in the list sizes (hash maps by key). Inputs are never
 * modified; custom resources are refused (the apiserver answers 415).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kjson.h"
#include "patch.h"
#include "schema.h"
#include "util/strmap.h"
#include "util/buf.h"

#define SEO_PREFIX "$setElementOrder/"
#define DFPL_PREFIX "$deleteFromPrimitiveList/"

static int smp_map(const cJSON *orig, const cJSON *patch, const char *type, cJSON **out, struct kerr *e);

static int nomem(struct kerr *e)
{
	return kerr_set(e, KAIRN_ENOMEM, "out of memory");
}

/* Compact JSON of v for error messages (never NULL). */
static void describe(const cJSON *v, char *buf, size_t size)
{
	char *s = cJSON_PrintUnformatted(v);

	snprintf(buf, size, "%s", s ? s : "?");
	free(s);
}

static const char *patch_directive(const cJSON *obj)
{
	const cJSON *d = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "$patch") : NULL;

	return cJSON_IsString(d) ? d->valuestring : NULL;
}

/* The directive field "<prefix><name>" of the patch (through its index), or
 * NULL. Skipped entirely when the patch has no per-field directives, so a
 * large map costs one lookup per member at most. */
static const cJSON *directive_for(const struct kjson_index *pix, int has_field_directives, const char *prefix,
				  const char *name, struct kbuf *tmp)
{
	if (!has_field_directives)
		return NULL;
	kbuf_reset(tmp);
	if (kbuf_puts(tmp, prefix) || kbuf_puts(tmp, name))
		return NULL;
	return kjson_index_get(pix, tmp->data);
}

static int has_field_directives(const cJSON *patch)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, patch)
		if (!strncmp(c->string, SEO_PREFIX, strlen(SEO_PREFIX)) ||
		    !strncmp(c->string, DFPL_PREFIX, strlen(DFPL_PREFIX)))
			return 1;
	return 0;
}

/* Hash key identifying a list item: the canonical JSON of its merge-key
 * field (keyed lists) or of the item itself (sets). NULL: no key. */
static char *item_key(const cJSON *item, const char *merge_key)
{
	if (!merge_key)
		return kjson_canon(item);
	if (!cJSON_IsObject(item))
		return NULL;
	item = cJSON_GetObjectItemCaseSensitive(item, merge_key);
	return item ? kjson_canon(item) : NULL;
}

/* An item with its sort rank, for $setElementOrder. */
struct ranked {
	cJSON *item;
	long rank;
	long seq;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Positions of list items by key (1-based, so 0/NULL means absent). */
static int index_positions(const cJSON *list, const char *merge_key, struct strmap *m)
{
	const cJSON *c;
	long pos = 0;

	cJSON_ArrayForEach(c, list) {
		char *k = item_key(c, merge_key);

		pos++;
		if (!k)
			continue;
		if (strmap_add(m, k, (void *)(intptr_t)pos) < 0) {
			free(k);
			return KAIRN_ENOMEM;
		}
		free(k);
	}
	return 0;
}

static long position(const struct strmap *m, const cJSON *item, const char *merge_key)
{
	char *k = item_key(item, merge_key);
	long pos = k ? (long)(intptr_t)strmap_get(m, k) : 0;

	free(k);
	return pos;
}

/*
 * Reorders *list (in place) by $setElementOrder: the items named in order
 * take that relative order; the others (present only on the server) keep
 * theirs and are interleaved where the server's order puts them before a
 * named item.
 */
static int apply_element_order(cJSON *list, const cJSON *order, const cJSON *server, const char *merge_key,
			       struct kerr *e)
{
	struct strmap *order_pos = NULL, *server_pos = NULL;
	struct ranked *named = NULL, *rest = NULL;
	size_t n = (size_t)cJSON_GetArraySize(list), nn = 0, nr = 0, i = 0, j = 0;
	cJSON *c;
	int rc = 0;

	if (!cJSON_IsArray(order))
		return kerr_set(e, KAIRN_EINVAL, "invalid patch format of setElementOrder: not a list");
	if (n == 0)
		return 0;
	order_pos = strmap_new_sized((size_t)cJSON_GetArraySize(order));
	server_pos = strmap_new_sized(server ? (size_t)cJSON_GetArraySize(server) : 0);
	named = calloc(n, sizeof(*named));
	rest = calloc(n, sizeof(*rest));
	if (!order_pos || !server_pos || !named || !rest || index_positions(order, merge_key, order_pos) ||
	    (server && index_positions(server, merge_key, server_pos))) {
		rc = nomem(e);
		goto out;
	}
	while ((c = list->child)) {
		long r = position(order_pos, c, merge_key);
		struct ranked *slot = r ? &named[nn++] : &rest[nr++];

		cJSON_DetachItemViaPointer(list, c);
		slot->item = c;
		slot->rank = r;
		slot->seq = (long)(nn + nr);
	}
	qsort(named, nn, sizeof(*named), cmp_ranked);
	while (i < nr || j < nn) {
		int take_rest;

		if (i >= nr) {
			take_rest = 0;
		} else if (j >= nn) {
			take_rest = 1;
		} else {
			long rs = position(server_pos, rest[i].item, merge_key);
			long ns = position(server_pos, named[j].item, merge_key);

			take_rest = rs && ns && rs < ns;
		}
		cJSON_AddItemToArray(list, take_rest ? rest[i++].item : named[j++].item);
	}
out:
	strmap_free(order_pos);
	strmap_free(server_pos);
	free(named);
	free(rest);
	return rc;
}

/* Removes from list (in place) the items equal to one in del. */
static int delete_primitives(cJSON *list, const cJSON *del, struct kerr *e)
{
	struct strmap *m;
	cJSON *c, *next;
	int rc = 0;

	if (!cJSON_IsArray(del))
		return kerr_set(e, KAIRN_EINVAL, "invalid patch format of primitive list: not a list");
	if (!(m = strmap_new_sized((size_t)cJSON_GetArraySize(del))) || index_positions(del, NULL, m)) {
		rc = nomem(e);
		goto out;
	}
	for (c = list->child; c; c = next) {
		next = c->next;
		if (position(m, c, NULL))
			cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
	}
out:
	strmap_free(m);
	return rc;
}

/* Keyed list: orig items merged with patch items of the same key, new items
 * appended, items marked $patch: delete removed. */
static int merge_keyed(const cJSON *orig, const cJSON *patch, const struct kschema_field *row, cJSON *out,
		       struct kerr *e)
{
	struct strmap *patch_by_key = strmap_new_sized((size_t)cJSON_GetArraySize(patch));
	struct strmap *orig_keys = strmap_new_sized(orig ? (size_t)cJSON_GetArraySize(orig) : 0);
	static const char deleted_mark;
	const char *mk = row->smp_key;
	const cJSON *c;
	char *k = NULL;
	int rc = 0;

	if (!patch_by_key || !orig_keys) {
		rc = nomem(e);
		goto out;
	}
	cJSON_ArrayForEach(c, patch) {
		const char *d = patch_directive(c);
		char what[256];

		if (!cJSON_IsObject(c)) {
			describe(c, what, sizeof(what));
			rc = kerr_set(e, KAIRN_EINVAL, "%s: list item %s is not an object (merge key %s)",
				      row->field, what, mk);
			goto out;
		}
		if (!(k = item_key(c, mk))) {
			describe(c, what, sizeof(what));
			rc = kerr_set(e, KAIRN_EINVAL, "map: %s does not contain declared merge key: %s", what, mk);
			goto out;
		}
		if (strmap_put(patch_by_key, k,
			       d && !strcmp(d, "delete") ? (void *)&deleted_mark : (void *)c, NULL) < 0) {
			rc = nomem(e);
			goto out;
		}
		free(k);
		k = NULL;
	}
	cJSON_ArrayForEach(c, orig) {
		const cJSON *p;
		cJSON *merged = NULL;

		k = item_key(c, mk);
		p = k ? strmap_get(patch_by_key, k) : NULL;
		if (k && strmap_add(orig_keys, k, (void *)c) < 0) {
			rc = nomem(e);
			goto out;
		}
		free(k);
		k = NULL;
		if (p == (const cJSON *)&deleted_mark)
			continue;
		if (p) {
			if ((rc = smp_map(c, p, row->type, &merged, e)))
				goto out;
		} else if (!(merged = cJSON_Duplicate(c, 1))) {
			rc = nomem(e);
			goto out;
		}
		if (merged)
			cJSON_AddItemToArray(out, merged);
	}
	cJSON_ArrayForEach(c, patch) {
		const char *d = patch_directive(c);
		cJSON *merged = NULL;
		int seen;

		k = item_key(c, mk);
		seen = strmap_get(orig_keys, k) != NULL;
		/* Mark it so a duplicate key in the patch is not appended twice. */
		if (!seen && strmap_put(orig_keys, k, (void *)c, NULL) < 0) {
			rc = nomem(e);
			goto out;
		}
		free(k);
		k = NULL;
		if (seen || (d && !strcmp(d, "delete")))
			continue;
		if ((rc = smp_map(NULL, c, row->type, &merged, e)))
			goto out;
		if (merged)
			cJSON_AddItemToArray(out, merged);
	}
out:
	free(k);
	strmap_free(patch_by_key);
	strmap_free(orig_keys);
	return rc;
}

/* Set of primitives: orig items then the patch's new ones, no duplicates. */
static int merge_set(const cJSON *orig, const cJSON *patch, cJSON *out, struct kerr *e)
{
	struct strmap *seen = strmap_new_sized(16);
	const cJSON *lists[2] = { orig, patch }, *c;
	int rc = 0;

	if (!seen)
		return nomem(e);
	for (int l = 0; l < 2; l++) {
		cJSON_ArrayForEach(c, lists[l]) {
			char *k = kjson_canon(c);
			cJSON *dup;
			int added;

			if (!k || (added = strmap_add(seen, k, (void *)c)) < 0) {
				free(k);
				rc = nomem(e);
				goto out;
			}
			free(k);
			if (!added)
				continue;
			if (!(dup = cJSON_Duplicate(c, 1))) {
				rc = nomem(e);
				goto out;
			}
			cJSON_AddItemToArray(out, dup);
		}
	}
out:
	strmap_free(seen);
	return rc;
}

/* A list item {"$patch":"replace"} anywhere means: the list is the patch's
 * other items, whatever the server had. */
static int has_replace_marker(const cJSON *patch)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, patch) {
		const char *d = patch_directive(c);

		if (d && !strcmp(d, "replace"))
			return 1;
	}
	return 0;
}

/* Copies patch items that are not directive markers (maps cleaned of
 * directives and nulls). */
static int copy_items(const cJSON *patch, const char *item_type, cJSON *out, struct kerr *e)
{
	const cJSON *c;
	int rc;

	cJSON_ArrayForEach(c, patch) {
		cJSON *item = NULL;

		if (cJSON_IsObject(c)) {
			const char *d = patch_directive(c);

			if (d && cJSON_GetArraySize(c) == 1)
				continue; /* bare {"$patch": ...} marker */
			if ((rc = smp_map(NULL, c, item_type, &item, e)))
				return rc;
		} else if (!(item = cJSON_Duplicate(c, 1))) {
			return nomem(e);
		}
		if (item)
			cJSON_AddItemToArray(out, item);
	}
	return 0;
}

/* Merges list field `row` (NULL: unknown → replace). orig may be NULL or not
 * a list; patch may be NULL when only directives name the field. */
static int smp_list(const cJSON *orig, const cJSON *patch, const struct kschema_field *row, const cJSON *order,
		    const cJSON *del, cJSON **out, struct kerr *e)
{
	int keyed = row && row->list == KS_LIST_MAP && row->smp_key;
	int set = row && row->list == KS_LIST_SET;
	const char *item_type = row ? row->type : NULL;
	cJSON *base = NULL, *res = cJSON_CreateArray();
	int rc = 0;

	*out = NULL;
	if (!res)
		return nomem(e);
	if (!cJSON_IsArray(orig))
		orig = NULL;
	/* $deleteFromPrimitiveList applies to the server's list before merging. */
	if (del && orig) {
		if (!(base = cJSON_Duplicate(orig, 1))) {
			rc = nomem(e);
			goto out;
		}
		if ((rc = delete_primitives(base, del, e)))
			goto out;
		orig = base;
	}
	if (!patch) {
		cJSON_Delete(res);
		if (!(res = orig ? cJSON_Duplicate(orig, 1) : cJSON_CreateArray())) {
			rc = nomem(e);
			goto out;
		}
	} else if ((!keyed && !set) || has_replace_marker(patch)) {
		rc = copy_items(patch, item_type, res, e);
	} else if (keyed) {
		rc = merge_keyed(orig, patch, row, res, e);
	} else {
		rc = merge_set(orig, patch, res, e);
	}
	if (!rc && order)
		rc = apply_element_order(res, order, orig, keyed ? row->smp_key : NULL, e);
out:
	cJSON_Delete(base);
	if (rc) {
		cJSON_Delete(res);
		return rc;
	}
	*out = res;
	return 0;
}

/* Merges one field: pv is the patch value (NULL: only directives name it),
 * ov the server's. *out NULL means the field is deleted. */
static int smp_field(const cJSON *ov, const cJSON *pv, const struct kschema_field *row, const cJSON *order,
		     const cJSON *del, cJSON **out, struct kerr *e)
{
	const char *type = row ? row->type : NULL;

	*out = NULL;
	if (cJSON_IsNull(pv))
		return 0;
	if (cJSON_IsObject(pv))
		return smp_map(cJSON_IsObject(ov) ? ov : NULL, pv, type, out, e);
	if (cJSON_IsArray(pv) || (!pv && cJSON_IsArray(ov)))
		return smp_list(ov, pv, row, order, del, out, e);
	if (!(*out = cJSON_Duplicate(pv ? pv : ov, 1)))
		return nomem(e);
	return 0;
}

/* Validates $retainKeys: a list of strings naming every field the patch sets.
 * Fills keep (field names to retain). */
static int load_retain_keys(const cJSON *patch, const cJSON *retain, struct strmap *keep, struct kerr *e)
{
	const cJSON *c;

	if (!cJSON_IsArray(retain))
		return kerr_set(e, KAIRN_EINVAL, "invalid patch format of retainKeys: not a list");
	cJSON_ArrayForEach(c, retain) {
		if (!cJSON_IsString(c))
			return kerr_set(e, KAIRN_EINVAL, "invalid patch format of retainKeys: not a list of strings");
		if (strmap_put(keep, c->valuestring, (void *)c, NULL) < 0)
			return nomem(e);
	}
	cJSON_ArrayForEach(c, patch) {
		if (c->string[0] != '$' && !cJSON_IsNull(c) && !strmap_get(keep, c->string))
			return kerr_set(e, KAIRN_EINVAL,
					"invalid patch format of retainKeys: field %s is not in $retainKeys", c->string);
	}
	return 0;
}

static int is_directive_key(const char *k)
{
	return k[0] == '$';
}

/* Adds the merged value of field `name` to out unless it was deleted. */
static int merge_member(cJSON *out, const char *name, const cJSON *ov, const cJSON *pv,
			const struct kjson_index *pix, int field_directives, const char *type, struct kbuf *tmp,
			struct kerr *e)
{
	const cJSON *order = directive_for(pix, field_directives, SEO_PREFIX, name, tmp);
	const cJSON *del = directive_for(pix, field_directives, DFPL_PREFIX, name, tmp);
	cJSON *v = NULL;
	int rc;

	if (!pv && !order && !del)
		v = cJSON_Duplicate(ov, 1);
	else if ((rc = smp_field(ov, pv, type ? kschema_lookup(type, name) : NULL, order, del, &v, e)))
		return rc;
	else if (!v)
		return 0;
	if (!v)
		return nomem(e);
	cJSON_AddItemToObject(out, name, v);
	return 0;
}

/* Merges map patch into orig (NULL: none). *out NULL means "$patch: delete". */
static int smp_map(const cJSON *orig, const cJSON *patch, const char *type, cJSON **out, struct kerr *e)
{
	const char *directive = patch_directive(patch);
	const cJSON *retain = cJSON_GetObjectItemCaseSensitive(patch, "$retainKeys"), *c;
	int field_directives = has_field_directives(patch);
	struct kjson_index pix = { 0 }, oix = { 0 };
	struct strmap *keep = NULL;
	struct kbuf tmp = { 0 };
	cJSON *res = NULL;
	int rc = 0;

	*out = NULL;
	if (directive && !strcmp(directive, "delete"))
		return 0;
	if (directive && !strcmp(directive, "replace"))
		orig = NULL;
	else if (directive && strcmp(directive, "merge")) {
		char what[256];

		describe(patch, what, sizeof(what));
		return kerr_set(e, KAIRN_EINVAL, "unknown patch type: %s in map: %s", directive, what);
	}
	if (!(res = cJSON_CreateObject()))
		return nomem(e);
	if (retain) {
		if (!(keep = strmap_new_sized(8))) {
			rc = nomem(e);
			goto out;
		}
		if ((rc = load_retain_keys(patch, retain, keep, e)))
			goto out;
	}
	if (kjson_index_init(&pix, patch) || kjson_index_init(&oix, orig)) {
		rc = nomem(e);
		goto out;
	}
	/* The server's fields, in their order, merged with the patch's. */
	cJSON_ArrayForEach(c, orig) {
		if (keep && !strmap_get(keep, c->string))
			continue;
		if ((rc = merge_member(res, c->string, c, kjson_index_get(&pix, c->string), &pix, field_directives,
					 type, &tmp, e)))
			goto out;
	}
	/* Then the fields only the patch has. */
	cJSON_ArrayForEach(c, patch) {
		if (is_directive_key(c->string) || kjson_index_get(&oix, c->string))
			continue;
		if ((rc = merge_member(res, c->string, NULL, c, &pix, field_directives, type, &tmp, e)))
			goto out;
	}
out:
	kjson_index_fini(&pix);
	kjson_index_fini(&oix);
	strmap_free(keep);
	kbuf_free(&tmp);
	if (rc) {
		cJSON_Delete(res);
		return rc;
	}
	*out = res;
	return 0;
}

int kpatch_strategic_supported(const char *group, const char *kind)
{
	int builtin;

	kschema_root(group, kind, &builtin);
	return builtin;
}

int kpatch_strategic(const cJSON *doc, const cJSON *patch, const char *group, const char *kind, cJSON **out,
		     struct kerr *e)
{
	int builtin, rc;
	const char *root = kschema_root(group, kind, &builtin);

	*out = NULL;
	if (!builtin)
		return kerr_set(e, KAIRN_EUNSUPPORTED,
				"the body of the request was in an unknown format - accepted media types include: "
				"application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
	if (!cJSON_IsObject(patch))
		return kerr_set(e, KAIRN_EINVAL, "strategic merge patch must be a JSON object");
	if ((rc = smp_map(cJSON_IsObject(doc) ? doc : NULL, patch, root, out, e)))
		return rc;
	if (!*out && !(*out = cJSON_CreateObject()))
		return nomem(e);
	return 0;
}
