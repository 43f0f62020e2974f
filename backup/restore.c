/*
 * restore.c — see restore.h.
 */
#include "restore.h"
#include "sync/diff.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/strmap.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESTORE_CHUNK 256

static const char *const result_names[] = { "pending", "created", "exists", "exists-different",
					    "updated", "skipped", "failed" };

static int owner_in(const char *uid, void *ctx)
{
	return strmap_get(ctx, uid) != NULL;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct restore_entry *a = pa, *b = pb;
	int c = restore_order_cmp(a->group_resource, b->group_resource);

	if (c)
		return c;
	c = strcmp(a->ns ? a->ns : "", b->ns ? b->ns : "");
	return c ? c : strcmp(a->name, b->name);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int restore_build(const struct restore_source *src, const struct restore_exec_opts *o,
		  struct restore_run **out, struct kerr *e)
{
	struct strmap *uids = strmap_new();
	struct restore_run *r = calloc(1, sizeof(*r));
	int rc = 0;

	*out = NULL;
	if (!uids || !r || !(r->entries = calloc(src->n + 1, sizeof(*r->entries)))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	/* Pass 1: identities, and every uid (owners must be known before any
	 * verdict). */
	for (size_t i = 0; i < src->n; i++) {
		struct restore_entry *en = &r->entries[r->n++];
		const char *gr = src->group_resource(src->ctx, i);
		cJSON *obj = NULL;
		const char *uid, *ns;

		if ((rc = src->load(src->ctx, i, &obj, e)))
			goto out;
		uid = jsonx_str(obj, "metadata.uid");
		ns = jsonx_str(obj, "metadata.namespace");
		en->index = i;
		en->group_resource = strdup(gr);
		en->name = dup_or_null(jsonx_str(obj, "metadata.name"));
		en->kind = dup_or_null(jsonx_str(obj, "kind"));
		en->api_version = dup_or_null(jsonx_str(obj, "apiVersion"));
		en->ns = dup_or_null(restore_map_namespace(&o->plan, ns));
		if (uid && strmap_put(uids, uid, (void *)1, NULL))
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		else if (!en->group_resource || !en->name || !en->kind || !en->api_version)
			rc = kerr_set(e, KAIRN_EINVAL, "backup item %zu (%s) lacks apiVersion, kind or name", i, gr);
		cJSON_Delete(obj);
		if (rc)
			goto out;
		if (strcmp(gr, "namespaces") == 0) {
			char *mapped = dup_or_null(restore_map_namespace(&o->plan, en->name));

			free(en->name);
			en->name = mapped;
		}
	}
	/* Pass 2: what is restored at all. */
	for (size_t i = 0; i < r->n; i++) {
		struct restore_entry *en = &r->entries[i];
		cJSON *obj = NULL;

		if ((rc = src->load(src->ctx, en->index, &obj, e)))
			goto out;
		en->skip = restore_item_verdict(obj, en->group_resource, &o->plan, owner_in, uids);
		if (en->skip != RESTORE_KEEP)
			en->result = RESTORE_RES_SKIPPED;
		cJSON_Delete(obj);
	}
	qsort(r->entries, r->n, sizeof(r->entries[0]), entry_cmp);
	*out = r;
	r = NULL;
out:
	restore_run_free(r);
	strmap_free(uids);
	return rc;
}

/* Loads and sanitises the pending objects of entries [from, to). */
static int load_chunk(struct restore_run *r, size_t from, size_t to, const struct restore_source *src,
		      const struct restore_exec_opts *o, struct kerr *e)
{
	for (size_t i = from; i < to; i++) {
		struct restore_entry *en = &r->entries[i];
		int rc;

		if (en->result != RESTORE_RES_PENDING)
			continue;
		if ((rc = src->load(src->ctx, en->index, &en->obj, e)) ||
		    (rc = restore_sanitize(en->obj, en->group_resource, &o->plan, e)))
			return rc;
	}
	return 0;
}

/* An existing object: compare with the backup, or update it. */
static void handle_existing(struct kube_client *kc, const struct kube_resource *res,
			    struct restore_entry *en, const struct restore_exec_opts *o)
{
	struct kube_write_opts w = { .field_manager = "kairn-restore", .force = 1, .dry_run = o->dry_run };
	cJSON *live = NULL, *want = cJSON_Duplicate(en->obj, 1);
	struct kerr e;
	int d;

	/* the restore labels are ours; managedFields are the server's */
	cJSON_DeleteItemFromObjectCaseSensitive(jsonx_get(want, "metadata"), "managedFields");
	if (kube_get(kc, res, en->ns, en->name, &live, &e)) {
		en->result = RESTORE_RES_FAILED;
		en->error = strdup(e.msg);
		goto out;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(jsonx_get(want, "metadata"), "labels");
	d = sync_diff(want, live, NULL, NULL);
	if (d == 0) {
		en->result = RESTORE_RES_EXISTS;
	} else if (o->existing == RESTORE_POLICY_NONE) {
		en->result = RESTORE_RES_EXISTS_DIFF;
		log_warn("could not restore, %s \"%s\" already exists. Warning: the in-cluster version "
			 "is different than the backed-up version", en->kind, en->name);
	} else {
		cJSON *apply = cJSON_Duplicate(en->obj, 1);

		cJSON_DeleteItemFromObjectCaseSensitive(jsonx_get(apply, "metadata"), "managedFields");
		if (kube_apply(kc, res, en->ns, apply, &w, NULL, &e)) {
			en->result = RESTORE_RES_FAILED;
			en->error = strdup(e.msg);
		} else {
			en->result = RESTORE_RES_UPDATED;
		}
		cJSON_Delete(apply);
	}
out:
	cJSON_Delete(live);
	cJSON_Delete(want);
}

/* Creates entries [from, to) of one group-resource in parallel. */
static int restore_group(struct kube_client *kc, struct restore_run *r, size_t from, size_t to,
			 const struct restore_exec_opts *o, struct kerr *e)
{
	struct kube_resource res;
	struct kube_op *ops = calloc(to - from + 1, sizeof(*ops));
	size_t *idx = calloc(to - from + 1, sizeof(size_t)), nops = 0;
	int rc = 0;

	if (!ops || !idx) {
		free(ops);
		free(idx);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	for (size_t i = from; i < to; i++) {
		struct restore_entry *en = &r->entries[i];

		if (en->result != RESTORE_RES_PENDING)
			continue;
		if (kube_resolve(kc, en->api_version, en->kind, &res, e)) {
			en->result = RESTORE_RES_FAILED;
			en->error = strdup(e->msg);
			continue;
		}
		ops[nops].kind = KUBE_OP_CREATE;
		ops[nops].res = &res; /* same group-resource for the whole group */
		ops[nops].namespace = res.namespaced ? en->ns : NULL;
		ops[nops].body = en->obj;
		ops[nops].field_manager = "kairn-restore";
		ops[nops].dry_run = o->dry_run;
		idx[nops++] = i;
	}
	kerr_clear(e);
	if (nops)
		kube_run(kc, ops, nops, e);
	for (size_t k = 0; k < nops; k++) {
		struct restore_entry *en = &r->entries[idx[k]];

		if (ops[k].rc == 0)
			en->result = RESTORE_RES_CREATED;
		else if (ops[k].rc == KAIRN_ECONFLICT && strcmp(ops[k].reason, "AlreadyExists") == 0)
			handle_existing(kc, &res, en, o);
		else {
			en->result = RESTORE_RES_FAILED;
			en->error = strdup(ops[k].err.msg);
		}
		if (en->result == RESTORE_RES_CREATED && !o->dry_run &&
		    strcmp(en->group_resource, "customresourcedefinitions.apiextensions.k8s.io") == 0 &&
		    (rc = kube_wait_crd_established(kc, &res, en->name, o->crd_wait_ms, e)))
			break;
	}
	kube_ops_clear(ops, nops);
	free(ops);
	free(idx);
	return rc;
}

/* Namespaced items whose namespace is neither in the backup nor in the
 * cluster get an empty one, as Velero does. */
static int ensure_namespaces(struct kube_client *kc, struct restore_run *r,
			     const struct restore_exec_opts *o, struct kerr *e)
{
	struct strmap *done = strmap_new();
	struct kube_resource nsres;
	int rc;

	if (!done)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if ((rc = kube_resolve(kc, "v1", "Namespace", &nsres, e)))
		goto out;
	for (size_t i = 0; i < r->n && !rc; i++) {
		struct restore_entry *en = &r->entries[i];
		cJSON *live = NULL, *obj;
		struct kube_write_opts w = { .field_manager = "kairn-restore", .dry_run = o->dry_run };

		if (!en->ns || en->result != RESTORE_RES_PENDING || strmap_get(done, en->ns))
			continue;
		if (strmap_put(done, en->ns, (void *)1, NULL)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		rc = kube_get(kc, &nsres, NULL, en->ns, &live, e);
		cJSON_Delete(live);
		if (rc != KAIRN_ENOTFOUND)
			continue;
		obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "apiVersion", "v1");
		cJSON_AddStringToObject(obj, "kind", "Namespace");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(obj, "metadata"), "name", en->ns);
		rc = kube_create(kc, &nsres, NULL, obj, &w, NULL, e);
		cJSON_Delete(obj);
		if (rc == KAIRN_ECONFLICT)
			rc = 0;
		if (!rc)
			log_info("restore: created namespace %s (not in the backup)", en->ns);
	}
out:
	strmap_free(done);
	return rc;
}

int restore_execute(struct kube_client *kc, struct restore_run *r, const struct restore_source *src,
		    const struct restore_exec_opts *o, struct kerr *e)
{
	int64_t start = time_mono_ms();
	int rc = 0, ns_ready = 0;

	for (size_t i = 0; i < r->n && !rc;) {
		size_t j = i + 1;
		const char *gr = r->entries[i].group_resource;

		while (j < r->n && strcmp(r->entries[j].group_resource, gr) == 0)
			j++;
		if (!ns_ready && restore_rank(gr) > restore_rank("namespaces")) {
			if ((rc = ensure_namespaces(kc, r, o, e)))
				break;
			ns_ready = 1;
		}
		/* In chunks, so responses and request bodies in flight stay bounded
		 * however large the group; an object is dropped once written. */
		for (size_t k = i; k < j && !rc; k += RESTORE_CHUNK) {
			size_t end = k + RESTORE_CHUNK < j ? k + RESTORE_CHUNK : j;

			rc = load_chunk(r, k, end, src, o, e);
			if (!rc)
				rc = restore_group(kc, r, k, end, o, e);
			for (size_t m = k; m < end; m++) {
				cJSON_Delete(r->entries[m].obj);
				r->entries[m].obj = NULL;
			}
		}
		i = j;
	}
	memset(r->counts, 0, sizeof(r->counts));
	for (size_t i = 0; i < r->n; i++)
		r->counts[r->entries[i].result]++;
	r->duration_ms = time_mono_ms() - start;
	if (!rc && r->counts[RESTORE_RES_FAILED])
		rc = kerr_set(e, KAIRN_EAPI, "%zu object%s failed to restore", r->counts[RESTORE_RES_FAILED],
			      r->counts[RESTORE_RES_FAILED] == 1 ? "" : "s");
	return rc;
}

int restore_report_text(const struct restore_run *r, int verbose, struct kbuf *out)
{
	int rc = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct restore_entry *en = &r->entries[i];

		if (!verbose && (en->result == RESTORE_RES_CREATED || en->result == RESTORE_RES_PENDING ||
				 en->result == RESTORE_RES_EXISTS))
			continue;
		rc |= kbuf_printf(out, "%-16s %s %s%s%s", result_names[en->result], en->group_resource,
				  en->ns ? en->ns : "", en->ns ? "/" : "", en->name);
		if (en->result == RESTORE_RES_SKIPPED)
			rc |= kbuf_printf(out, "  (%s)", restore_skip_text(en->skip));
		if (en->error)
			rc |= kbuf_printf(out, "  %s", en->error);
		rc |= kbuf_putc(out, '\n');
	}
	rc |= kbuf_printf(out, "%zu items: %zu created, %zu already there, %zu differ (left alone), "
			       "%zu updated, %zu skipped, %zu failed in %.2fs\n",
			  r->n, r->counts[RESTORE_RES_CREATED], r->counts[RESTORE_RES_EXISTS],
			  r->counts[RESTORE_RES_EXISTS_DIFF], r->counts[RESTORE_RES_UPDATED],
			  r->counts[RESTORE_RES_SKIPPED], r->counts[RESTORE_RES_FAILED],
			  (double)r->duration_ms / 1000);
	return rc ? KAIRN_ENOMEM : 0;
}

cJSON *restore_report_json(const struct restore_run *r)
{
	cJSON *j = cJSON_CreateObject(), *counts = cJSON_AddObjectToObject(j, "counts");
	cJSON *items = cJSON_AddArrayToObject(j, "items");

	for (int k = RESTORE_RES_CREATED; k <= RESTORE_RES_FAILED; k++)
		cJSON_AddNumberToObject(counts, result_names[k], (double)r->counts[k]);
	cJSON_AddNumberToObject(j, "durationSeconds", (double)r->duration_ms / 1000);
	for (size_t i = 0; i < r->n; i++) {
		const struct restore_entry *en = &r->entries[i];
		cJSON *it = cJSON_CreateObject();

		cJSON_AddStringToObject(it, "resource", en->group_resource);
		if (en->ns)
			cJSON_AddStringToObject(it, "namespace", en->ns);
		cJSON_AddStringToObject(it, "name", en->name);
		cJSON_AddStringToObject(it, "result", result_names[en->result]);
		if (en->result == RESTORE_RES_SKIPPED)
			cJSON_AddStringToObject(it, "reason", restore_skip_text(en->skip));
		if (en->error)
			cJSON_AddStringToObject(it, "error", en->error);
		cJSON_AddItemToArray(items, it);
	}
	return j;
}

void restore_run_free(struct restore_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct restore_entry *en = &r->entries[i];

		free(en->group_resource);
		free(en->ns);
		free(en->name);
		free(en->kind);
		free(en->api_version);
		free(en->error);
		cJSON_Delete(en->obj);
	}
	free(r->entries);
	free(r);
}
