/*
 * ssa.c — server-side apply and Update-operation tracking over
 * metadata.managedFields (FieldsV1).
 *
 * Apply: merged = live ⊕ applied (keyed lists by their SSA keys, sets by
 * value, atomic lists and atomic objects replaced); fields the applier owned
 * before and no longer sends are pruned unless someone still owns them; the
 * change between live and merged is compared with the other managers' sets:
 * a changed field another manager owns is a conflict (unless force, which
 * takes it over). Update: the manager gains what changed, others lose it.
 * Never touches the inputs; never reads the clock (the caller passes `now`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fieldset.h"
#include "kjson.h"
#include "patch.h"
#include "schema.h"
#include "util/strmap.h"
#include "util/buf.h"

enum level { LV_ROOT, LV_META, LV_OTHER };

struct ctx {
	const char *sub; /* NULL or "status" */
	int strict;      /* apply: list items without their keys are an error */
	struct kerr *e;
};

static int nomem(struct kerr *e)
{
	return kerr_set(e, KAIRN_ENOMEM, "out of memory");
}

static int is_status(const char *sub)
{
	return sub && !strcmp(sub, "status");
}

/* Metadata the server owns: never merged from an applied config. */
static int server_meta(const char *name)
{
	static const char *const names[] = { "managedFields", "resourceVersion", "uid", "creationTimestamp",
					     "generation", "selfLink", "deletionTimestamp",
					     "deletionGracePeriodSeconds" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* Whether a field of the applied config is merged into the object. */
static int merged_field(enum level lv, const char *name, const struct ctx *cx)
{
	if (lv == LV_ROOT)
		return is_status(cx->sub) ? !strcmp(name, "status") : strcmp(name, "status") != 0;
	if (lv == LV_META)
		return !server_meta(name);
	return 1;
}

/* Whether a field takes part in ownership (field sets and comparisons). */
static int owned_field(enum level lv, const char *name, const struct ctx *cx)
{
	if (lv == LV_ROOT && (!strcmp(name, "apiVersion") || !strcmp(name, "kind")))
		return 0;
	if (lv == LV_META && (!strcmp(name, "name") || !strcmp(name, "namespace")))
		return 0;
	return merged_field(lv, name, cx);
}

static enum level child_level(enum level lv, const char *name)
{
	return lv == LV_ROOT && !strcmp(name, "metadata") ? LV_META : LV_OTHER;
}

static const char *child_type(const struct kschema_field *row)
{
	return row ? row->type : NULL;
}

static const struct kschema_field *lookup(const char *type, const char *field)
{
	return type ? kschema_lookup(type, field) : NULL;
}

static int keyed_row(const struct kschema_field *row)
{
	return row && row->list == KS_LIST_MAP && row->ssa_keys[0];
}

static int atomic_obj(const struct kschema_field *row)
{
	return row && (row->flags & KS_ATOMIC_OBJ);
}

/* "<prefix><s>", malloc'd; takes s (which may be NULL: then NULL). */
static char *prefixed(const char *prefix, char *s)
{
	struct kbuf b = { 0 };

	if (!s || kbuf_puts(&b, prefix) || kbuf_puts(&b, s)) {
		free(s);
		kbuf_free(&b);
		return NULL;
	}
	free(s);
	return kbuf_steal(&b);
}

/* Path element naming a list item: k:{keys} (keyed list) or v:<value> (set).
 * NULL when a keyed item lacks a key (or ENOMEM). */
static char *item_name(const cJSON *item, const struct kschema_field *row)
{
	cJSON *key;
	char *s;

	if (row->list == KS_LIST_SET)
		return prefixed("v:", kjson_canon(item));
	if (!cJSON_IsObject(item) || !(key = cJSON_CreateObject()))
		return NULL;
	for (int i = 0; i < KSCHEMA_MAX_KEYS && row->ssa_keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, row->ssa_keys[i]);
		cJSON *dup = v ? cJSON_Duplicate(v, 1) :
			     row->ssa_defaults[i] ? cJSON_CreateString(row->ssa_defaults[i]) : NULL;

		if (!dup) {
			cJSON_Delete(key);
			return NULL;
		}
		cJSON_AddItemToObject(key, row->ssa_keys[i], dup);
	}
	s = kjson_canon(key);
	cJSON_Delete(key);
	return prefixed("k:", s);
}

/* Item names of a list under row (keyed or set); NULL if any item has no
 * name, i.e. the list must be treated as atomic. */
static char **item_names(const cJSON *list, const struct kschema_field *row, size_t *n)
{
	size_t cnt = (size_t)cJSON_GetArraySize(list), i = 0;
	char **v = calloc(cnt ? cnt : 1, sizeof(*v));
	const cJSON *c;

	*n = cnt;
	if (!v)
		return NULL;
	cJSON_ArrayForEach(c, list) {
		if (!(v[i++] = item_name(c, row))) {
			for (size_t j = 0; j < i; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void free_names(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int list_is_assoc(const struct kschema_field *row)
{
	return keyed_row(row) || (row && row->list == KS_LIST_SET);
}

/* ---- field sets of values ---------------------------------------------- */

static int fs_value(const cJSON *v, const struct kschema_field *row, enum level lv, const struct ctx *cx,
		    struct kfset *node);

static struct kfset *field_node(struct kfset *node, const char *name)
{
	struct kbuf b = { 0 };
	struct kfset *k = NULL;

	if (!kbuf_puts(&b, "f:") && !kbuf_puts(&b, name))
		k = kfset_add(node, b.data);
	kbuf_free(&b);
	return k;
}

static int fs_object(const cJSON *obj, const char *type, enum level lv, const struct ctx *cx, struct kfset *node)
{
	const cJSON *c;
	int rc;

	cJSON_ArrayForEach(c, obj) {
		struct kfset *k;

		if (!owned_field(lv, c->string, cx))
			continue;
		if (!(k = field_node(node, c->string)))
			return nomem(cx->e);
		if ((rc = fs_value(c, lookup(type, c->string), child_level(lv, c->string), cx, k)))
			return rc;
	}
	return 0;
}

static int fs_list(const cJSON *list, const struct kschema_field *row, const struct ctx *cx, struct kfset *node)
{
	size_t n;
	char **names = list_is_assoc(row) ? item_names(list, row, &n) : NULL;
	const cJSON *c;
	size_t i = 0;
	int rc = 0;

	if (!names) {
		if (list_is_assoc(row) && cx->strict && cJSON_GetArraySize(list) > 0)
			return kerr_set(cx->e, KAIRN_EINVAL,
					".%s: associative list with keys has an element that omits key field \"%s\"",
					row->field, row->ssa_keys[0] ? row->ssa_keys[0] : "?");
		node->member = 1;
		return 0;
	}
	cJSON_ArrayForEach(c, list) {
		struct kfset *k = kfset_add(node, names[i++]);

		if (!k) {
			rc = nomem(cx->e);
			break;
		}
		k->member = 1;
		if (row->list == KS_LIST_MAP && (rc = fs_object(c, row->type, LV_OTHER, cx, k)))
			break;
	}
	free_names(names, n);
	return rc;
}

static int fs_value(const cJSON *v, const struct kschema_field *row, enum level lv, const struct ctx *cx,
		    struct kfset *node)
{
	if (cJSON_IsObject(v)) {
		if (atomic_obj(row)) {
			node->member = 1;
			return 0;
		}
		if (!v->child || (row && (row->flags & KS_MAP_LIKE)))
			node->member = 1;
		return fs_object(v, child_type(row), lv, cx, node);
	}
	if (cJSON_IsArray(v))
		return fs_list(v, row, cx, node);
	node->member = 1;
	return 0;
}

/* ---- merge (apply) ---------------------------------------------------- */

static int merge_value(const cJSON *lv_, const cJSON *cv, const struct kschema_field *row, enum level lv,
		       const struct ctx *cx, cJSON **out);

static int merge_object(const cJSON *lo, const cJSON *co, const char *type, enum level lv, const struct ctx *cx,
			cJSON **out)
{
	struct kjson_index lix = { 0 }, cix = { 0 };
	cJSON *res = cJSON_CreateObject(), *m;
	const cJSON *c;
	int rc = 0;

	*out = NULL;
	if (!res || kjson_index_init(&lix, lo) || kjson_index_init(&cix, co)) {
		rc = nomem(cx->e);
		goto out;
	}
	cJSON_ArrayForEach(c, lo) {
		const cJSON *cv = merged_field(lv, c->string, cx) ? kjson_index_get(&cix, c->string) : NULL;

		m = NULL;
		if (!cv)
			m = cJSON_Duplicate(c, 1);
		else if ((rc = merge_value(c, cv, lookup(type, c->string), child_level(lv, c->string), cx, &m)))
			goto out;
		else if (!m)
			continue; /* null in the config: the field goes */
		if (!m) {
			rc = nomem(cx->e);
			goto out;
		}
		cJSON_AddItemToObject(res, c->string, m);
	}
	cJSON_ArrayForEach(c, co) {
		if (!merged_field(lv, c->string, cx) || kjson_index_get(&lix, c->string))
			continue;
		if ((rc = merge_value(NULL, c, lookup(type, c->string), child_level(lv, c->string), cx, &m)))
			goto out;
		if (m)
			cJSON_AddItemToObject(res, c->string, m);
	}
	*out = res;
	res = NULL;
out:
	kjson_index_fini(&lix);
	kjson_index_fini(&cix);
	cJSON_Delete(res);
	return rc;
}

/*
 * Associative list merge. Shared items take the config's order; items only
 * live has keep their place; items only the config has come where the config
 * puts them. Linear: every lookup goes through hash maps.
 */
static int merge_assoc(const cJSON *l, const cJSON *c, const struct kschema_field *row, char **ln, size_t nl,
		       char **cn, size_t nc, const struct ctx *cx, cJSON *res)
{
	struct strmap *lmap = strmap_new_sized(nl), *cmap = strmap_new_sized(nc), *done = strmap_new_sized(nc);
	const cJSON **litems = calloc(nl ? nl : 1, sizeof(*litems)), **citems = calloc(nc ? nc : 1, sizeof(*citems));
	size_t *shared = calloc(nc ? nc : 1, sizeof(*shared)), ns = 0, s = 0, i = 0, j = 0;
	const cJSON *it;
	int rc = 0;

	if (!lmap || !cmap || !done || !litems || !citems || !shared) {
		rc = nomem(cx->e);
		goto out;
	}
	cJSON_ArrayForEach(it, l) {
		litems[i] = it;
		if (strmap_add(lmap, ln[i++], (void *)it) < 0)
			goto nomem;
	}
	cJSON_ArrayForEach(it, c) {
		citems[j] = it;
		if (strmap_add(cmap, cn[j], (void *)it) < 0)
			goto nomem;
		if (strmap_get(lmap, cn[j]))
			shared[ns++] = j;
		j++;
	}
	i = j = 0;
	while (i < nl || j < nc) {
		const cJSON *from_l = NULL, *from_c = NULL;
		const char *name;
		cJSON *m = NULL;

		if (i < nl && j < nc && !strcmp(ln[i], cn[j])) {
			from_l = litems[i++];
			name = cn[j];
			from_c = citems[j++];
		} else if (i < nl && j < nc && strmap_get(cmap, ln[i]) && s < ns && strcmp(cn[shared[s]], ln[i])) {
			i++; /* shared, but its turn comes later in the config's order */
			continue;
		} else if (i < nl && !strmap_get(cmap, ln[i])) {
			name = ln[i];
			from_l = litems[i++];
		} else if (i < nl && (strmap_get(done, ln[i]) || j >= nc)) {
			i++;
			continue;
		} else {
			name = cn[j];
			from_c = citems[j++];
			from_l = strmap_get(lmap, name);
		}
		if (from_c && s < ns && !strcmp(cn[shared[s]], name))
			s++;
		if (strmap_get(done, name))
			continue; /* duplicate key: keep the first */
		if (strmap_put(done, name, (void *)1, NULL) < 0)
			goto nomem;
		if (!from_c)
			m = cJSON_Duplicate(from_l, 1);
		else if (row->list == KS_LIST_SET)
			m = cJSON_Duplicate(from_c, 1);
		else if ((rc = merge_object(from_l, from_c, row->type, LV_OTHER, cx, &m)))
			goto out;
		if (!m)
			goto nomem;
		cJSON_AddItemToArray(res, m);
	}
	goto out;
nomem:
	rc = nomem(cx->e);
out:
	strmap_free(lmap);
	strmap_free(cmap);
	strmap_free(done);
	free(litems);
	free(citems);
	free(shared);
	return rc;
}

static int merge_value(const cJSON *lval, const cJSON *cv, const struct kschema_field *row, enum level lv,
		       const struct ctx *cx, cJSON **out)
{
	*out = NULL;
	if (cJSON_IsNull(cv))
		return 0;
	if (cJSON_IsObject(cv) && !atomic_obj(row))
		return merge_object(cJSON_IsObject(lval) ? lval : NULL, cv, child_type(row), lv, cx, out);
	if (cJSON_IsArray(cv) && cJSON_IsArray(lval) && list_is_assoc(row)) {
		size_t nl = 0, nc = 0;
		char **ln = item_names(lval, row, &nl), **cn = item_names(cv, row, &nc);
		cJSON *res = NULL;
		int rc = 0;

		if (ln && cn) {
			if (!(res = cJSON_CreateArray()))
				rc = nomem(cx->e);
			else if ((rc = merge_assoc(lval, cv, row, ln, nl, cn, nc, cx, res)))
				cJSON_Delete(res);
			else
				*out = res;
		}
		free_names(ln, nl);
		free_names(cn, nc);
		if (rc || *out)
			return rc;
	}
	if (!(*out = cJSON_Duplicate(cv, 1)))
		return nomem(cx->e);
	return 0;
}

/* ---- comparison: what changed between two versions -------------------- */

struct diff {
	struct kfset *mod, *add, *rem;
};

static int cmp_value(const cJSON *o, const cJSON *n, const struct kschema_field *row, enum level lv,
		     const struct ctx *cx, struct diff d);

/* The children named name in each of the diff's three sets. */
static int diff_child(struct diff d, const char *name, struct diff *out)
{
	out->mod = kfset_add(d.mod, name);
	out->add = kfset_add(d.add, name);
	out->rem = kfset_add(d.rem, name);
	return out->mod && out->add && out->rem ? 0 : KAIRN_ENOMEM;
}

static int cmp_object(const cJSON *o, const cJSON *n, const char *type, enum level lv, const struct ctx *cx,
		      struct diff d)
{
	struct kjson_index oix = { 0 }, nix = { 0 };
	const cJSON *c;
	struct diff k;
	struct kbuf b = { 0 };
	int rc = 0;

	if (kjson_index_init(&oix, o) || kjson_index_init(&nix, n))
		goto nomem;
	for (int side = 0; side < 2 && !rc; side++) {
		const cJSON *walked = side == 0 ? o : n;

		cJSON_ArrayForEach(c, walked) {
			const cJSON *ov = side == 0 ? c : NULL, *nv = side == 0 ? kjson_index_get(&nix, c->string) : c;

			if (!owned_field(lv, c->string, cx) || (side == 1 && kjson_index_get(&oix, c->string)))
				continue;
			kbuf_reset(&b);
			if (kbuf_puts(&b, "f:") || kbuf_puts(&b, c->string) || diff_child(d, b.data, &k))
				goto nomem;
			if ((rc = cmp_value(ov, nv, lookup(type, c->string), child_level(lv, c->string), cx, k)))
				break;
		}
	}
	goto out;
nomem:
	rc = nomem(cx->e);
out:
	kbuf_free(&b);
	kjson_index_fini(&oix);
	kjson_index_fini(&nix);
	return rc;
}

static int cmp_list(const cJSON *o, const cJSON *n, const struct kschema_field *row, char **on, size_t no,
		    char **nn, size_t nnum, const struct ctx *cx, struct diff d)
{
	struct strmap *omap = strmap_new_sized(no), *nmap = strmap_new_sized(nnum);
	const cJSON *c;
	size_t i = 0;
	struct diff k;
	int rc = 0;

	if (!omap || !nmap)
		goto nomem;
	cJSON_ArrayForEach(c, o)
		if (strmap_add(omap, on[i++], (void *)c) < 0)
			goto nomem;
	i = 0;
	cJSON_ArrayForEach(c, n)
		if (strmap_add(nmap, nn[i++], (void *)c) < 0)
			goto nomem;
	for (int side = 0; side < 2 && !rc; side++) {
		char **names = side == 0 ? on : nn;
		size_t cnt = side == 0 ? no : nnum;

		for (i = 0; i < cnt && !rc; i++) {
			const cJSON *ov = strmap_get(omap, names[i]), *nv = strmap_get(nmap, names[i]);

			if (side == 1 && ov)
				continue;
			if (diff_child(d, names[i], &k))
				goto nomem;
			if (!ov || !nv) {
				struct kfset *into = ov ? k.rem : k.add;

				into->member = 1;
				if (row->list == KS_LIST_MAP)
					rc = fs_object(ov ? ov : nv, row->type, LV_OTHER, cx, into);
			} else if (row->list == KS_LIST_MAP) {
				rc = cmp_object(ov, nv, row->type, LV_OTHER, cx, k);
			}
		}
	}
	goto out;
nomem:
	rc = nomem(cx->e);
out:
	strmap_free(omap);
	strmap_free(nmap);
	return rc;
}

static int is_container(const cJSON *v)
{
	return cJSON_IsObject(v) || cJSON_IsArray(v);
}

static int cmp_value(const cJSON *o, const cJSON *n, const struct kschema_field *row, enum level lv,
		     const struct ctx *cx, struct diff d)
{
	if (!o && !n)
		return 0;
	if (!o)
		return fs_value(n, row, lv, cx, d.add);
	if (!n)
		return fs_value(o, row, lv, cx, d.rem);
	if (cJSON_IsObject(o) && cJSON_IsObject(n) && !atomic_obj(row)) {
		int om = !o->child || (row && (row->flags & KS_MAP_LIKE));
		int nm = !n->child || (row && (row->flags & KS_MAP_LIKE));

		if (om != nm)
			(nm ? d.add : d.rem)->member = 1;
		return cmp_object(o, n, child_type(row), lv, cx, d);
	}
	if (cJSON_IsArray(o) && cJSON_IsArray(n) && list_is_assoc(row)) {
		size_t no = 0, nn = 0;
		char **on = item_names(o, row, &no), **nnames = item_names(n, row, &nn);
		int rc = 1;

		if (on && nnames)
			rc = cmp_list(o, n, row, on, no, nnames, nn, cx, d);
		free_names(on, no);
		free_names(nnames, nn);
		if (rc != 1)
			return rc;
	}
	if (kjson_equal(o, n))
		return 0;
	if (is_container(o) != is_container(n) || (cJSON_IsObject(o) != cJSON_IsObject(n) && is_container(o))) {
		int rc = fs_value(o, row, lv, cx, d.rem);

		return rc ? rc : fs_value(n, row, lv, cx, d.add);
	}
	d.mod->member = 1;
	return 0;
}

/* Changes from o (NULL: nothing) to n under the ownership rules. */
static int diff_objects(const cJSON *o, const cJSON *n, const char *type, const struct ctx *cx, struct diff *d)
{
	d->mod = kfset_new();
	d->add = kfset_new();
	d->rem = kfset_new();
	if (!d->mod || !d->add || !d->rem)
		return nomem(cx->e);
	return cmp_object(o, n, type, LV_ROOT, cx, *d);
}

static void diff_free(struct diff *d)
{
	kfset_free(d->mod);
	kfset_free(d->add);
	kfset_free(d->rem);
}

/* ---- pruning fields the applier dropped -------------------------------- */

static void prune_value(cJSON *v, const struct kschema_field *row, const struct kfset *drop,
			const struct kfset *keep);

/* Removes from obj what drop names, except what keep still owns. Each name
 * in drop is looked up once, so the index never serves a deleted member. */
static void prune_object(cJSON *obj, const char *type, const struct kfset *drop, const struct kfset *keep)
{
	struct kjson_index ix;
	int indexed = kjson_index_init(&ix, obj) == 0;

	for (size_t i = 0; i < drop->n; i++) {
		const struct kfset *dk = drop->kids[i], *kk = keep ? kfset_get(keep, dk->name) : NULL;
		cJSON *v;

		if (dk->name[0] != 'f')
			continue;
		v = indexed ? kjson_index_get(&ix, dk->name + 2) :
			      cJSON_GetObjectItemCaseSensitive(obj, dk->name + 2);
		if (!v)
			continue;
		if (dk->member && kfset_empty(kk))
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, v));
		else
			prune_value(v, lookup(type, dk->name + 2), dk, kk);
	}
	if (indexed)
		kjson_index_fini(&ix);
}

static void prune_list(cJSON *list, const struct kschema_field *row, const struct kfset *drop,
		       const struct kfset *keep)
{
	cJSON *c, *next;

	for (c = list->child; c; c = next) {
		char *name = item_name(c, row);
		const struct kfset *dk = name ? kfset_get(drop, name) : NULL;
		const struct kfset *kk = dk && keep ? kfset_get(keep, name) : NULL;

		next = c->next;
		free(name);
		if (!dk)
			continue;
		if (dk->member && kfset_empty(kk))
			cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
		else if (row->list == KS_LIST_MAP && cJSON_IsObject(c))
			prune_object(c, row->type, dk, kk);
	}
}

static void prune_value(cJSON *v, const struct kschema_field *row, const struct kfset *drop,
			const struct kfset *keep)
{
	if (cJSON_IsObject(v) && !atomic_obj(row))
		prune_object(v, child_type(row), drop, keep);
	else if (cJSON_IsArray(v) && list_is_assoc(row))
		prune_list(v, row, drop, keep);
}

/* ---- managedFields entries -------------------------------------------- */

struct mentry {
	char *manager, *operation, *api_version, *time, *subresource;
	struct kfset *set;
	struct kfset *orig; /* the set as read, for no-op detection */
};

struct mlist {
	struct mentry *v;
	size_t n, cap;
};

static void mlist_free(struct mlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct mentry *m = &l->v[i];

		free(m->manager);
		free(m->operation);
		free(m->api_version);
		free(m->time);
		free(m->subresource);
		kfset_free(m->set);
		kfset_free(m->orig);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static char *dup_opt(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static int opt_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static struct mentry *mlist_push(struct mlist *l, const char *manager, const char *op, const char *api_version,
				 const char *time, const char *sub)
{
	struct mentry *m;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		struct mentry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	m = &l->v[l->n++];
	memset(m, 0, sizeof(*m));
	m->manager = strdup(manager ? manager : "");
	m->operation = strdup(op ? op : "Update");
	m->api_version = dup_opt(api_version);
	m->time = dup_opt(time);
	m->subresource = dup_opt(sub);
	if (!m->manager || !m->operation || (api_version && *api_version && !m->api_version) ||
	    (time && *time && !m->time) || (sub && *sub && !m->subresource))
		return NULL;
	return m;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads managedFields; entries that are not objects are skipped. */
static int mlist_parse(const cJSON *mf, struct mlist *l, struct kerr *e)
{
	const cJSON *c;

	if (!cJSON_IsArray(mf))
		return 0;
	cJSON_ArrayForEach(c, mf) {
		struct mentry *m;

		if (!cJSON_IsObject(c))
			continue;
		m = mlist_push(l, jstr(c, "manager"), jstr(c, "operation"), jstr(c, "apiVersion"), jstr(c, "time"),
			       jstr(c, "subresource"));
		if (!m || !(m->set = kfset_from_json(cJSON_GetObjectItemCaseSensitive(c, "fieldsV1"))) ||
		    !(m->orig = kfset_new()) || kfset_union(m->orig, m->set))
			return nomem(e);
	}
	return 0;
}

/* Apply entries are one per manager+subresource; Update entries also per
 * apiVersion. */
static struct mentry *mlist_find(struct mlist *l, const char *manager, const char *op, const char *api_version,
				 const char *sub)
{
	for (size_t i = 0; i < l->n; i++) {
		struct mentry *m = &l->v[i];

		if (!strcmp(m->manager, manager) && !strcmp(m->operation, op) && opt_eq(m->subresource, sub) &&
		    (!strcmp(op, "Apply") || opt_eq(m->api_version, api_version)))
			return m;
	}
	return NULL;
}

static int cmp_entries(const void *a, const void *b)
{
	const struct mentry *p = *(const struct mentry *const *)a, *q = *(const struct mentry *const *)b;
	int r;

	if ((r = strcmp(p->operation, q->operation)))
		return r;
	if ((r = strcmp(p->time ? p->time : "", q->time ? q->time : "")))
		return r;
	if ((r = strcmp(p->manager, q->manager)))
		return r;
	if ((r = strcmp(p->api_version ? p->api_version : "", q->api_version ? q->api_version : "")))
		return r;
	return strcmp(p->subresource ? p->subresource : "", q->subresource ? q->subresource : "");
}

/* Writes the non-empty entries, in the apiserver's order, as
 * obj.metadata.managedFields (removed when there are none). */
static int mlist_store(struct mlist *l, cJSON *obj, struct kerr *e)
{
	const struct mentry **v = calloc(l->n ? l->n : 1, sizeof(*v));
	cJSON *arr = cJSON_CreateArray(), *meta;
	size_t n = 0;

	if (!v || !arr)
		goto nomem;
	for (size_t i = 0; i < l->n; i++)
		if (!kfset_empty(l->v[i].set))
			v[n++] = &l->v[i];
	qsort(v, n, sizeof(*v), cmp_entries);
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *f = kfset_to_json(v[i]->set);

		if (!o || !f) {
			cJSON_Delete(o);
			cJSON_Delete(f);
			goto nomem;
		}
		cJSON_AddItemToArray(arr, o);
		if (!cJSON_AddStringToObject(o, "manager", v[i]->manager) ||
		    !cJSON_AddStringToObject(o, "operation", v[i]->operation) ||
		    (v[i]->api_version && !cJSON_AddStringToObject(o, "apiVersion", v[i]->api_version)) ||
		    (v[i]->time && !cJSON_AddStringToObject(o, "time", v[i]->time)) ||
		    !cJSON_AddStringToObject(o, "fieldsType", "FieldsV1")) {
			cJSON_Delete(f);
			goto nomem;
		}
		cJSON_AddItemToObject(o, "fieldsV1", f);
		if (v[i]->subresource && !cJSON_AddStringToObject(o, "subresource", v[i]->subresource))
			goto nomem;
	}
	meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (!cJSON_IsObject(meta)) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "metadata");
		if (!(meta = cJSON_AddObjectToObject(obj, "metadata")))
			goto nomem;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
	if (n)
		cJSON_AddItemToObject(meta, "managedFields", arr);
	else
		cJSON_Delete(arr);
	free(v);
	return 0;
nomem:
	free(v);
	cJSON_Delete(arr);
	return nomem(e);
}

static const cJSON *managed_fields_of(const cJSON *obj)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "managedFields");
}

/* Root schema type from the object's apiVersion and kind. */
static const char *root_type(const cJSON *a, const cJSON *b)
{
	const char *av = jstr(a, "apiVersion"), *kind = jstr(a, "kind");
	char group[256];
	int builtin;

	if (!av)
		av = jstr(b, "apiVersion");
	if (!kind)
		kind = jstr(b, "kind");
	return kschema_root(kschema_group_of(av, group, sizeof(group)), kind, &builtin);
}

/* ---- conflicts -------------------------------------------------------- */

/* The manager as the apiserver prints it in conflict messages. */
static int print_manager(const struct mentry *m, struct kbuf *b)
{
	cJSON name = { 0 };
	char *q;
	int rc;

	name.type = cJSON_String;
	name.valuestring = m->manager;
	if (!(q = kjson_canon(&name)))
		return KAIRN_ENOMEM;
	rc = kbuf_puts(b, q);
	free(q);
	if (!rc && m->subresource)
		rc = kbuf_printf(b, " with subresource \"%s\"", m->subresource);
	if (!rc && !strcmp(m->operation, "Update")) {
		rc = kbuf_printf(b, " using %s", m->api_version ? m->api_version : "");
		if (!rc && m->time)
			rc = kbuf_printf(b, " at %s", m->time);
	}
	return rc;
}

struct conflict_group {
	char *printed;
	struct kfset *set;
};

static int cmp_groups(const void *a, const void *b)
{
	return strcmp(((const struct conflict_group *)a)->printed, ((const struct conflict_group *)b)->printed);
}

struct path_sink {
	struct kbuf *msg;
	cJSON *causes;
	const char *printed;
	size_t count;
	int one;
};

static int count_path(const char *path, void *arg)
{
	(void)path;
	((struct path_sink *)arg)->count++;
	return 0;
}

static int emit_path(const char *path, void *arg)
{
	struct path_sink *s = arg;
	cJSON *c;
	int rc;

	rc = s->one ? kbuf_printf(s->msg, "conflict with %s: %s", s->printed, path) :
		      kbuf_printf(s->msg, "\n- %s", path);
	if (rc || !s->causes)
		return rc;
	if (!(c = cJSON_CreateObject()))
		return KAIRN_ENOMEM;
	cJSON_AddItemToArray(s->causes, c);
	if (!cJSON_AddStringToObject(c, "reason", "FieldManagerConflict"))
		return KAIRN_ENOMEM;
	{
		struct kbuf m = { 0 };

		rc = kbuf_printf(&m, "conflict with %s", s->printed);
		if (!rc && !cJSON_AddStringToObject(c, "message", m.data))
			rc = KAIRN_ENOMEM;
		kbuf_free(&m);
	}
	if (!rc && !cJSON_AddStringToObject(c, "field", path))
		rc = KAIRN_ENOMEM;
	return rc;
}

/* Builds the 409 text ("Apply failed with N conflict(s): ...") and causes. */
static int conflict_error(struct conflict_group *g, size_t ng, cJSON **causes, struct kerr *e)
{
	struct kbuf msg = { 0 };
	struct path_sink sink = { 0 };
	size_t total = 0;
	int rc = 0;

	qsort(g, ng, sizeof(*g), cmp_groups);
	for (size_t i = 0; i < ng; i++) {
		sink.count = 0;
		kfset_each_path(g[i].set, count_path, &sink);
		total += sink.count;
	}
	if (causes && !(*causes = cJSON_CreateArray()))
		return nomem(e);
	sink.msg = &msg;
	sink.causes = causes ? *causes : NULL;
	sink.one = total == 1;
	rc = kbuf_printf(&msg, "Apply failed with %zu conflict%s: ", total, total == 1 ? "" : "s");
	for (size_t i = 0; i < ng && !rc; i++) {
		sink.printed = g[i].printed;
		if (!sink.one)
			rc = kbuf_printf(&msg, "%sconflicts with %s:", i ? "\n" : "", g[i].printed);
		if (!rc)
			rc = kfset_each_path(g[i].set, emit_path, &sink);
	}
	if (rc) {
		kbuf_free(&msg);
		return nomem(e);
	}
	kerr_set(e, KAIRN_ECONFLICT, "%s", msg.data);
	kbuf_free(&msg);
	return KAIRN_ECONFLICT;
}

/* ---- apply ------------------------------------------------------------ */

/* Fields to prune: what the applier owned before and no longer applies,
 * keeping whatever the new config or any other manager owns. */
static int prune_dropped(cJSON *merged, const char *type, const struct mlist *l, const struct mentry *self,
			 const struct kfset *applied, struct kerr *e)
{
	struct kfset *drop = kfset_new(), *keep = kfset_new();
	int rc = 0;

	if (!drop || !keep || kfset_union(drop, self->orig) || kfset_union(keep, applied)) {
		rc = nomem(e);
		goto out;
	}
	kfset_subtract(drop, applied, 0);
	for (size_t i = 0; i < l->n; i++)
		if (&l->v[i] != self && kfset_union(keep, l->v[i].set)) {
			rc = nomem(e);
			goto out;
		}
	if (!kfset_empty(drop))
		prune_object(merged, type, drop, keep);
out:
	kfset_free(drop);
	kfset_free(keep);
	return rc;
}

/* Finds the other managers' conflicts with the change; with force, takes
 * them over; without, fails with the apiserver's message. */
static int settle_conflicts(struct mlist *l, const struct mentry *self, const struct kfset *changed, int force,
			    cJSON **causes, struct kerr *e)
{
	struct conflict_group *g = calloc(l->n ? l->n : 1, sizeof(*g));
	size_t ng = 0;
	int rc = 0;

	if (!g)
		return nomem(e);
	for (size_t i = 0; i < l->n; i++) {
		struct kfset *c;
		struct kbuf p = { 0 };

		if (&l->v[i] == self)
			continue;
		if (kfset_intersect(l->v[i].set, changed, &c)) {
			rc = nomem(e);
			goto out;
		}
		if (kfset_empty(c)) {
			kfset_free(c);
			continue;
		}
		if (force) {
			kfset_subtract(l->v[i].set, c, 0);
			kfset_free(c);
			continue;
		}
		if (print_manager(&l->v[i], &p)) {
			kfset_free(c);
			kbuf_free(&p);
			rc = nomem(e);
			goto out;
		}
		g[ng].printed = kbuf_steal(&p);
		g[ng++].set = c;
	}
	if (ng)
		rc = conflict_error(g, ng, causes, e);
out:
	for (size_t i = 0; i < ng; i++) {
		free(g[i].printed);
		kfset_free(g[i].set);
	}
	free(g);
	return rc;
}

/*
 * kubectl follows an SSA with an apply by "kubectl-last-applied" that only
 * refreshes the last-applied annotation, which kubectl-client-side-apply
 * (operation Update) usually owns. The apiserver avoids the conflict by
 * rewriting the annotation itself during kubectl's apply; byte-exact Go JSON
 * is not reproducible here, so instead that one field never conflicts for
 * that one manager. The client-visible outcome is the same.
 */
#define LAST_APPLIED_MANAGER "kubectl-last-applied"

static int drop_last_applied_conflict(struct kfset *changed, struct kerr *e)
{
	struct kfset *one = kfset_new(), *n = one;
	static const char *const path[] = { "f:metadata", "f:annotations",
					    "f:kubectl.kubernetes.io/last-applied-configuration" };

	for (size_t i = 0; n && i < sizeof(path) / sizeof(path[0]); i++)
		n = kfset_add(n, path[i]);
	if (!n) {
		kfset_free(one);
		return nomem(e);
	}
	n->member = 1;
	kfset_subtract(changed, one, 0);
	kfset_free(one);
	return 0;
}

static int mlist_unchanged(const struct mlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].orig || !kfset_equal(l->v[i].set, l->v[i].orig))
			return 0;
	return 1;
}

int kssa_apply(const cJSON *live, const cJSON *applied, const struct kssa_req *req, cJSON **out,
	       cJSON **conflicts, struct kerr *e)
{
	struct ctx cx = { req ? req->subresource : NULL, 1, e };
	struct mlist l = { 0 };
	struct diff d = { 0 };
	struct kfset *applied_set = NULL, *changed = NULL;
	struct mentry *self;
	const char *type;
	char *prev_api = NULL;
	cJSON *merged = NULL;
	int rc = 0;

	*out = NULL;
	if (conflicts)
		*conflicts = NULL;
	if (!req || !req->manager || !*req->manager)
		return kerr_set(e, KAIRN_EINVAL, "PATCH requests with an apply patch require a fieldManager");
	if (!cJSON_IsObject(applied))
		return kerr_set(e, KAIRN_EINVAL, "apply patch must be a JSON or YAML object");
	if (managed_fields_of(applied))
		return kerr_set(e, KAIRN_EINVAL, "metadata.managedFields must be nil");
	if (live && !cJSON_IsObject(live))
		return kerr_set(e, KAIRN_EINVAL, "live object is not a JSON object");
	type = root_type(applied, live);
	if ((rc = mlist_parse(managed_fields_of(live), &l, e)))
		goto out;
	if (!(applied_set = kfset_new())) {
		rc = nomem(e);
		goto out;
	}
	if ((rc = fs_object(applied, type, LV_ROOT, &cx, applied_set)))
		goto out;
	if ((rc = merge_object(live, applied, type, LV_ROOT, &cx, &merged)))
		goto out;
	self = mlist_find(&l, req->manager, "Apply", NULL, req->subresource);
	if (self && (rc = prune_dropped(merged, type, &l, self, applied_set, e)))
		goto out;
	cx.strict = 0;
	if ((rc = diff_objects(live, merged, type, &cx, &d)))
		goto out;
	if (!(changed = kfset_new()) || kfset_union(changed, d.mod) || kfset_union(changed, d.add)) {
		rc = nomem(e);
		goto out;
	}
	if (!strcmp(req->manager, LAST_APPLIED_MANAGER) && (rc = drop_last_applied_conflict(changed, e)))
		goto out;
	if ((rc = settle_conflicts(&l, self, changed, req->force, conflicts, e)))
		goto out;
	for (size_t i = 0; i < l.n; i++)
		if (&l.v[i] != self)
			kfset_subtract(l.v[i].set, d.rem, 1);
	if (!self) {
		if (!(self = mlist_push(&l, req->manager, "Apply", req->api_version, req->now, req->subresource))) {
			rc = nomem(e);
			goto out;
		}
	} else {
		prev_api = self->api_version;
		if (!(self->api_version = dup_opt(req->api_version)) && req->api_version && *req->api_version) {
			rc = nomem(e);
			goto out;
		}
	}
	kfset_free(self->set);
	self->set = applied_set;
	applied_set = NULL;
	if (live && kjson_equal(live, merged) && mlist_unchanged(&l) &&
	    opt_eq(prev_api, self->api_version)) {
		/* No-op: the caller sees live unchanged, times included. */
		cJSON_Delete(merged);
		if (!(merged = cJSON_Duplicate(live, 1)))
			rc = nomem(e);
		goto done;
	}
	free(self->time);
	if (!(self->time = dup_opt(req->now)) && req->now && *req->now) {
		rc = nomem(e);
		goto out;
	}
	rc = mlist_store(&l, merged, e);
done:
	if (!rc) {
		*out = merged;
		merged = NULL;
	}
out:
	free(prev_api);
	cJSON_Delete(merged);
	kfset_free(applied_set);
	kfset_free(changed);
	diff_free(&d);
	mlist_free(&l);
	return rc;
}

/* ---- update tracking --------------------------------------------------- */

/* A client may send managedFields itself: [{}] resets them, a valid list
 * replaces them; otherwise the old object's stand. */
static const cJSON *update_source(const cJSON *old, const cJSON *updated, int *reset)
{
	const cJSON *mf = managed_fields_of(updated);

	*reset = 0;
	if (cJSON_IsArray(mf) && cJSON_GetArraySize(mf) == 1 && cJSON_IsObject(mf->child) && !mf->child->child) {
		*reset = 1;
		return NULL;
	}
	if (cJSON_IsArray(mf) && cJSON_GetArraySize(mf) > 0)
		return mf;
	return managed_fields_of(old);
}

int kssa_track_update(const cJSON *old, cJSON *updated, const char *manager, const char *api_version,
		      const char *subresource, const char *now, struct kerr *e)
{
	struct ctx cx = { subresource, 0, e };
	struct mlist l = { 0 };
	struct diff d = { 0 };
	struct kfset *changed = NULL;
	struct mentry *self;
	const char *type;
	int rc, reset;
	const cJSON *src;

	if (!manager || !*manager)
		return kerr_set(e, KAIRN_EINVAL, "a field manager is required");
	if (!cJSON_IsObject(updated) || (old && !cJSON_IsObject(old)))
		return kerr_set(e, KAIRN_EINVAL, "object is not a JSON object");
	type = root_type(updated, old);
	src = update_source(old, updated, &reset);
	if ((rc = mlist_parse(src, &l, e)))
		goto out;
	if ((rc = diff_objects(old, updated, type, &cx, &d)))
		goto out;
	if (!(changed = kfset_new()) || kfset_union(changed, d.mod) || kfset_union(changed, d.add)) {
		rc = nomem(e);
		goto out;
	}
	self = mlist_find(&l, manager, "Update", api_version, subresource);
	for (size_t i = 0; i < l.n; i++) {
		kfset_subtract(l.v[i].set, changed, 0);
		kfset_subtract(l.v[i].set, d.rem, 1);
	}
	if (!kfset_empty(changed)) {
		if (!self && !(self = mlist_push(&l, manager, "Update", api_version, now, subresource))) {
			rc = nomem(e);
			goto out;
		}
		if (!self->set && !(self->set = kfset_new())) {
			rc = nomem(e);
			goto out;
		}
		if (kfset_union(self->set, changed)) {
			rc = nomem(e);
			goto out;
		}
		free(self->time);
		if (!(self->time = dup_opt(now)) && now && *now) {
			rc = nomem(e);
			goto out;
		}
	}
	if (!src && !reset && l.n == 0 && !managed_fields_of(updated))
		goto out; /* nothing tracked before, nothing now */
	rc = mlist_store(&l, updated, e);
out:
	kfset_free(changed);
	diff_free(&d);
	mlist_free(&l);
	return rc;
}
