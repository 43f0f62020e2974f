/*
 * diff.c — one-sided semantic comparison of desired against live.
 *
 * Walks desired recursively, carrying the JSON pointer of the current node
 * (for ignore-paths and for the report). Depth is bounded by the input's own
 * depth, which the manifest loader already limits.
 */
#include "diff.h"
#include "quantity.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_REPORT_MAX 20

struct diff_ctx {
	const struct sync_diff_opts *o;
	struct sync_diff_result *r;
	int differs;
	int oom;
	struct kbuf path; /* current JSON pointer */
};

/* Server-owned metadata never compared. */
static const char *const server_meta[] = { "uid", "resourceVersion", "generation",
					   "creationTimestamp", "managedFields", "selfLink",
					   "deletionTimestamp", "deletionGracePeriodSeconds" };

/* List fields merged by key (the strategic-merge keys kubectl relies on).
 * Fields not listed are atomic lists. */
struct list_key {
	const char *field;
	const char *keys[2];
};

static const struct list_key list_keys[] = {
	{ "containers", { "name" } },       { "initContainers", { "name" } },
	{ "ephemeralContainers", { "name" } }, { "env", { "name" } },
	{ "volumes", { "name" } },          { "volumeMounts", { "mountPath" } },
	{ "volumeDevices", { "devicePath" } }, { "imagePullSecrets", { "name" } },
	{ "conditions", { "type" } },       { "ownerReferences", { "uid" } },
	{ "hostAliases", { "ip" } },        { "ports", { "containerPort", "port" } },
};

static void note(struct diff_ctx *c, const char *fmt, const cJSON *want, const cJSON *have)
{
	char *w = want ? cJSON_PrintUnformatted(want) : NULL;
	char *h = have ? cJSON_PrintUnformatted(have) : NULL;

	c->differs = 1;
	if (c->r) {
		c->r->n_paths++;
		if (c->r->n_paths <= DIFF_REPORT_MAX &&
		    kbuf_printf(&c->r->paths, fmt, c->path.len ? c->path.data : "/", w ? w : "",
				h ? h : ""))
			c->oom = 1;
	}
	free(w);
	free(h);
}

static int path_push(struct diff_ctx *c, const char *seg, size_t *saved)
{
	*saved = c->path.len;
	if (kbuf_putc(&c->path, '/'))
		return c->oom = 1;
	for (const char *p = seg; *p; p++) {
		int rc = *p == '~' ? kbuf_puts(&c->path, "~0") :
			 *p == '/' ? kbuf_puts(&c->path, "~1") : kbuf_putc(&c->path, *p);

		if (rc)
			return c->oom = 1;
	}
	return 0;
}

static void path_pop(struct diff_ctx *c, size_t saved)
{
	c->path.len = saved;
	c->path.data[saved] = '\0';
}

static int path_ignored(const struct diff_ctx *c)
{
	for (size_t i = 0; i < c->o->n_ignore_paths; i++) {
		const char *ig = c->o->ignore_paths[i];
		size_t n = strlen(ig);

		if (strncmp(c->path.data, ig, n) == 0 && (c->path.data[n] == '\0' || c->path.data[n] == '/'))
			return 1;
	}
	return 0;
}

static int scalars_equal(const cJSON *a, const cJSON *b)
{
	__int128 qa, qb;

	if (cJSON_Compare(a, b, 1))
		return 1;
	if ((cJSON_IsString(a) || cJSON_IsNumber(a)) && (cJSON_IsString(b) || cJSON_IsNumber(b)) &&
	    quantity_of_json(a, &qa) == 0 && quantity_of_json(b, &qb) == 0)
		return qa == qb;
	return 0;
}

static int is_empty(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child);
}

static const struct list_key *list_key_for(const char *field)
{
	if (!field)
		return NULL;
	for (size_t i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++)
		if (strcmp(list_keys[i].field, field) == 0)
			return &list_keys[i];
	return NULL;
}

/* Two list elements are the same item when every key field present in the
 * desired element is equal in the live one (protocol defaults to TCP). */
static int same_item(const struct list_key *lk, const cJSON *want, const cJSON *have)
{
	int any = 0;

	if (!cJSON_IsObject(want) || !cJSON_IsObject(have))
		return 0;
	for (int k = 0; k < 2 && lk->keys[k]; k++) {
		const cJSON *wk = cJSON_GetObjectItemCaseSensitive(want, lk->keys[k]);

		if (!wk)
			continue;
		any = 1;
		if (!scalars_equal(wk, cJSON_GetObjectItemCaseSensitive(have, lk->keys[k])))
			return 0;
	}
	if (any && strcmp(lk->field, "ports") == 0) {
		const char *wp = jsonx_str(want, "protocol"), *hp = jsonx_str(have, "protocol");

		if (strcmp(wp ? wp : "TCP", hp ? hp : "TCP") != 0)
			return 0;
	}
	return any;
}

/* A list element with none of its list's merge keys (Strimzi's storage
 * volumes in a field also called "volumes") is matched by position. */
static int has_key(const struct list_key *lk, const cJSON *item)
{
	for (int k = 0; k < 2 && lk->keys[k]; k++)
		if (cJSON_GetObjectItemCaseSensitive(item, lk->keys[k]))
			return 1;
	return 0;
}

static void diff_value(struct diff_ctx *c, const char *field, const cJSON *want, const cJSON *have);

/* The merge key of a list field, but only if every desired item carries
 * it: a custom resource's "volumes" or "ports" of another shape is atomic. */
static const struct list_key *keyed_list(const char *field, const cJSON *want)
{
	const struct list_key *lk = list_key_for(field);
	const cJSON *w;

	if (!lk)
		return NULL;
	cJSON_ArrayForEach(w, want) {
		int any = 0;

		for (int k = 0; k < 2 && lk->keys[k]; k++)
			any |= cJSON_IsObject(w) && cJSON_GetObjectItemCaseSensitive(w, lk->keys[k]) != NULL;
		if (!any)
			return NULL;
	}
	return lk;
}

static void diff_object(struct diff_ctx *c, const cJSON *want, const cJSON *have, int top)
{
	const cJSON *w;

	cJSON_ArrayForEach(w, want) {
		size_t saved;

		if (top && strcmp(w->string, "status") == 0)
			continue;
		if (path_push(c, w->string, &saved))
			return;
		if (top == 2) {
			int skip = 0;

			for (size_t i = 0; i < sizeof(server_meta) / sizeof(server_meta[0]); i++)
				skip |= strcmp(w->string, server_meta[i]) == 0;
			if (skip) {
				path_pop(c, saved);
				continue;
			}
		}
		if (!path_ignored(c)) {
			const cJSON *h = cJSON_GetObjectItemCaseSensitive(have, w->string);

			if (top == 1 && strcmp(w->string, "metadata") == 0 && cJSON_IsObject(w) &&
			    cJSON_IsObject(h))
				diff_object(c, w, h, 2);
			else
				diff_value(c, w->string, w, h);
		}
		path_pop(c, saved);
	}
}

static void diff_list(struct diff_ctx *c, const char *field, const cJSON *want, const cJSON *have)
{
	const struct list_key *lk = keyed_list(field, want);
	int n = cJSON_GetArraySize(want), i = 0;
	const cJSON *w, *pos = have->child;

	if (!lk && n != cJSON_GetArraySize(have)) {
		note(c, "%s: %s -> %s (list length)\n", want, have);
		return;
	}
	cJSON_ArrayForEach(w, want) {
		const cJSON *h = NULL;
		char idx[24];
		size_t saved;

		if (lk && cJSON_IsObject(w) && has_key(lk, w)) {
			const cJSON *cand;

			cJSON_ArrayForEach(cand, have)
				if (same_item(lk, w, cand)) {
					h = cand;
					break;
				}
		} else {
			h = pos;
			pos = pos ? pos->next : NULL;
		}
		snprintf(idx, sizeof(idx), "%d", i++);
		if (path_push(c, idx, &saved))
			return;
		if (!path_ignored(c))
			diff_value(c, NULL, w, h);
		path_pop(c, saved);
	}
}

static void diff_value(struct diff_ctx *c, const char *field, const cJSON *want, const cJSON *have)
{
	if (c->oom)
		return;
	if (cJSON_IsNull(want))
		return; /* null in a manifest means "no opinion" */
	if (is_empty(want) && is_empty(have))
		return;
	if (!have) {
		note(c, "%s: %s -> (absent)\n", want, NULL);
		return;
	}
	if (cJSON_IsObject(want)) {
		if (!cJSON_IsObject(have))
			note(c, "%s: %s -> %s\n", want, have);
		else
			diff_object(c, want, have, 0);
		return;
	}
	if (cJSON_IsArray(want)) {
		if (!cJSON_IsArray(have))
			note(c, "%s: %s -> %s\n", want, have);
		else
			diff_list(c, field, want, have);
		return;
	}
	if (!scalars_equal(want, have))
		note(c, "%s: %s -> %s\n", want, have);
}

/* managedFields: is a field that `manager` applied missing from desired? */
static void owned_fields_dropped(struct diff_ctx *c, const cJSON *fields, const cJSON *want);

static const cJSON *find_keyed(const cJSON *list, const char *keyjson)
{
	cJSON *key = cJSON_Parse(keyjson);
	const cJSON *item, *found = NULL;

	if (!key)
		return NULL;
	cJSON_ArrayForEach(item, list) {
		const cJSON *k;
		int all = cJSON_IsObject(item);

		cJSON_ArrayForEach(k, key) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, k->string);

			/* managedFields key ports by protocol too; manifests often omit TCP */
			if (!v && strcmp(k->string, "protocol") == 0 && cJSON_IsString(k) &&
			    strcmp(k->valuestring, "TCP") == 0)
				continue;
			if (all && !scalars_equal(k, v))
				all = 0;
		}
		if (all) {
			found = item;
			break;
		}
	}
	cJSON_Delete(key);
	return found;
}

static int list_has_value(const cJSON *list, const char *valjson)
{
	cJSON *v = cJSON_Parse(valjson);
	const cJSON *item;
	int found = 0;

	if (!v)
		return 1; /* unreadable entry: never claim a difference on doubt */
	cJSON_ArrayForEach(item, list)
		if (scalars_equal(item, v)) {
			found = 1;
			break;
		}
	cJSON_Delete(v);
	return found;
}

static void owned_fields_dropped(struct diff_ctx *c, const cJSON *fields, const cJSON *want)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, fields) {
		const char *k = f->string;
		const cJSON *sub = NULL;
		size_t saved;

		if (c->oom || strcmp(k, ".") == 0)
			continue;
		if (strncmp(k, "f:", 2) == 0) {
			if (path_push(c, k + 2, &saved))
				return;
			sub = cJSON_IsObject(want) ? cJSON_GetObjectItemCaseSensitive(want, k + 2) : NULL;
		} else if (strncmp(k, "k:", 2) == 0) {
			if (path_push(c, k + 2, &saved))
				return;
			sub = cJSON_IsArray(want) ? find_keyed(want, k + 2) : NULL;
		} else if (strncmp(k, "v:", 2) == 0) {
			if (path_push(c, k + 2, &saved))
				return;
			if (!cJSON_IsArray(want) || !list_has_value(want, k + 2))
				if (!path_ignored(c))
					note(c, "%s: (absent in Git)%s%s\n", NULL, NULL);
			path_pop(c, saved);
			continue;
		} else {
			continue; /* "i:" (atomic list index) and unknown prefixes */
		}
		if (!path_ignored(c)) {
			if (!sub)
				note(c, "%s: (absent in Git)%s%s\n", NULL, NULL);
			else if (cJSON_IsObject(f) && f->child)
				owned_fields_dropped(c, f, sub);
		}
		path_pop(c, saved);
	}
}

static void check_managed(struct diff_ctx *c, const cJSON *desired, const cJSON *live)
{
	const cJSON *mf = jsonx_get(live, "metadata.managedFields"), *entry;

	cJSON_ArrayForEach(entry, mf) {
		const char *m = jsonx_str(entry, "manager"), *op = jsonx_str(entry, "operation");
		const char *sub = jsonx_str(entry, "subresource");

		if (!m || strcmp(m, c->o->manager) != 0 || !op || strcmp(op, "Apply") != 0 ||
		    (sub && *sub))
			continue;
		kbuf_reset(&c->path);
		owned_fields_dropped(c, cJSON_GetObjectItemCaseSensitive(entry, "fieldsV1"), desired);
	}
}

int sync_fold_string_data(cJSON *obj)
{
	cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData"), *data, *v;

	if (!cJSON_IsObject(sd))
		return 0;
	data = jsonx_ensure_obj(obj, "data");
	if (!data)
		return KAIRN_EINVAL;
	cJSON_ArrayForEach(v, sd) {
		char *b64;

		if (!cJSON_IsString(v))
			continue;
		b64 = b64_encode(v->valuestring, strlen(v->valuestring));
		if (!b64 || jsonx_set(data, v->string, cJSON_CreateString(b64))) {
			free(b64);
			return KAIRN_ENOMEM;
		}
		free(b64);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
	return 0;
}

/* A copy of desired with stringData folded, or NULL when desired is not a
 * Secret with stringData (or on ENOMEM, with *oom set). */
static cJSON *secret_folded(const cJSON *desired, int *oom)
{
	const char *api = jsonx_str(desired, "apiVersion"), *kind = jsonx_str(desired, "kind");
	cJSON *copy;

	if (!api || !kind || strcmp(api, "v1") != 0 || strcmp(kind, "Secret") != 0 ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(desired, "stringData")))
		return NULL;
	copy = cJSON_Duplicate(desired, 1);
	if (!copy || sync_fold_string_data(copy)) {
		cJSON_Delete(copy);
		*oom = 1;
		return NULL;
	}
	return copy;
}

int sync_diff(const cJSON *desired, const cJSON *live, const struct sync_diff_opts *o,
	      struct sync_diff_result *r)
{
	static const struct sync_diff_opts none = { 0 };
	struct diff_ctx c = { .o = o ? o : &none, .r = r };
	cJSON *folded = NULL;

	if (r)
		memset(r, 0, sizeof(*r));
	if (kbuf_reserve(&c.path, 64))
		return KAIRN_ENOMEM;
	if (!live) {
		c.differs = 1;
	} else {
		folded = secret_folded(desired, &c.oom);
		diff_object(&c, folded ? folded : desired, live, 1);
		if (c.o->manager)
			check_managed(&c, desired, live);
	}
	cJSON_Delete(folded);
	kbuf_free(&c.path);
	if (r)
		r->differs = c.differs;
	if (c.oom)
		return KAIRN_ENOMEM;
	return c.differs;
}

void sync_diff_result_free(struct sync_diff_result *r)
{
	if (r)
		kbuf_free(&r->paths);
}

int sync_ignore_paths_of(const cJSON *obj, char ***out)
{
	const cJSON *ann = jsonx_get(obj, "metadata.annotations");
	/* Annotation keys contain dots, so no dotted-path lookup here. */
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(ann, "kairn.dev/ignore-paths");
	const char *v = cJSON_IsString(a) ? a->valuestring : NULL;
	char **list;
	int n = 0;

	*out = NULL;
	list = calloc(1, sizeof(char *));
	if (!list)
		return KAIRN_ENOMEM;
	for (const char *p = v; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char **grown;

		while (len && (*p == ' ')) {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			grown = realloc(list, (size_t)(n + 2) * sizeof(char *));
			if (!grown)
				goto oom;
			list = grown;
			list[n] = strndup(p, len);
			if (!list[n])
				goto oom;
			list[++n] = NULL;
		}
		p = end ? end + 1 : p + len;
	}
	*out = list;
	return n;
oom:
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return KAIRN_ENOMEM;
}

static cJSON *project(const char *field, const cJSON *want, const cJSON *have, int depth)
{
	cJSON *out;
	const cJSON *w;

	if (!have || depth > 100)
		return NULL;
	if (cJSON_IsObject(want) && cJSON_IsObject(have)) {
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(w, want) {
			cJSON *sub = project(w->string, w, cJSON_GetObjectItemCaseSensitive(have, w->string),
					     depth + 1);

			if (sub)
				cJSON_AddItemToObject(out, w->string, sub);
		}
		return out;
	}
	if (cJSON_IsArray(want) && cJSON_IsArray(have)) {
		const struct list_key *lk = keyed_list(field, want);
		const cJSON *h;

		out = cJSON_CreateArray();
		if (!lk || (want->child && cJSON_IsObject(want->child) && !has_key(lk, want->child))) {
			/* atomic list: live's list as it is */
			cJSON_Delete(out);
			return cJSON_Duplicate(have, 1);
		}
		cJSON_ArrayForEach(w, want) {
			const cJSON *match = NULL;

			cJSON_ArrayForEach(h, have)
				if (same_item(lk, w, h)) {
					match = h;
					break;
				}
			if (match)
				cJSON_AddItemToArray(out, project(NULL, w, match, depth + 1));
		}
		return out;
	}
	return cJSON_Duplicate(have, 1);
}

cJSON *sync_project_live(const cJSON *desired, const cJSON *live)
{
	cJSON *p = project(NULL, desired, live, 0);

	return p ? p : cJSON_CreateObject();
}
