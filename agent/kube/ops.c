/*
 * ops.c — the blocking one-request calls (kube_get, kube_list, kube_apply,
 * kube_create, kube_patch, kube_delete, kube_server_version): each fills one
 * struct kube_op and hands it to kube_run. No transport logic lives here.
 */
#include "kube/internal.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

#include <stdlib.h>
#include <string.h>

/* Runs op and moves its result to *out (or drops it when out is NULL). */
static int run_one(struct kube_client *c, struct kube_op *op, cJSON **out, struct kerr *e)
{
	int rc = kube_run(c, op, 1, e);

	if (out) {
		*out = rc ? NULL : op->result;
		if (!rc)
			op->result = NULL;
	}
	kube_ops_clear(op, 1);
	return rc;
}

int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
	     const char *name, cJSON **out, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_GET, .res = res, .namespace = ns, .name = name };

	return run_one(c, &op, out, e);
}

int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
	      const struct kube_list_opts *opts, cJSON **items, char **list_rv, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_LIST, .res = res, .namespace = ns };
	cJSON *r = NULL;
	int rc;

	*items = NULL;
	if (list_rv)
		*list_rv = NULL;
	if (opts) {
		op.label_selector = opts->label_selector;
		op.field_selector = opts->field_selector;
		op.limit = opts->limit;
		op.resource_version = opts->resource_version;
	}
	rc = run_one(c, &op, &r, e);
	if (rc)
		return rc;
	*items = cJSON_DetachItemFromObjectCaseSensitive(r, "items");
	if (list_rv) {
		const char *rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r, "resourceVersion"));

		*list_rv = strdup(rv ? rv : "");
		if (!*list_rv) {
			cJSON_Delete(*items);
			*items = NULL;
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
	}
	cJSON_Delete(r);
	return rc;
}

static void write_opts(struct kube_op *op, const struct kube_write_opts *o)
{
	if (!o)
		return;
	op->field_manager = o->field_manager;
	op->force = o->force;
	op->dry_run = o->dry_run;
}

int kube_apply(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const cJSON *obj, const struct kube_write_opts *opts, cJSON **out, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_APPLY, .res = res, .namespace = ns, .body = obj };

	write_opts(&op, opts);
	return run_one(c, &op, out, e);
}

int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const cJSON *obj, const struct kube_write_opts *opts, cJSON **out, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_CREATE, .res = res, .namespace = ns, .body = obj };

	write_opts(&op, opts);
	return run_one(c, &op, out, e);
}

int kube_patch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const char *name, const cJSON *patch, int json_patch,
	       const struct kube_write_opts *opts, cJSON **out, struct kerr *e)
{
	struct kube_op op = { .kind = json_patch ? KUBE_OP_JSON_PATCH : KUBE_OP_MERGE_PATCH,
			      .res = res, .namespace = ns, .name = name, .body = patch };

	write_opts(&op, opts);
	return run_one(c, &op, out, e);
}

int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, const struct kube_delete_opts *opts, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_DELETE, .res = res, .namespace = ns, .name = name };

	if (opts) {
		op.propagation = opts->propagation;
		op.precondition_uid = opts->precondition_uid;
		op.precondition_rv = opts->precondition_rv;
		op.dry_run = opts->dry_run;
	}
	return run_one(c, &op, NULL, e);
}

int kube_server_version(struct kube_client *c, cJSON **out, struct kerr *e)
{
	struct kube_op op = { .kind = KUBE_OP_RAW, .raw_method = "GET", .raw_path = "/version",
			      .raw_idempotent = 1 };

	return run_one(c, &op, out, e);
}

int kube_wait_crd_established(struct kube_client *c, const struct kube_resource *res,
			      const char *name, int64_t wait_ms, struct kerr *e)
{
	int64_t limit = wait_ms > 0 ? wait_ms : 60000, deadline = time_mono_ms() + limit;

	for (;;) {
		cJSON *live = NULL;
		const cJSON *cond;
		int rc = kube_get(c, res, NULL, name, &live, e), ok = 0;

		cJSON_ArrayForEach(cond, jsonx_get(live, "status.conditions")) {
			const char *t = jsonx_str(cond, "type"), *s = jsonx_str(cond, "status");

			if (t && s && strcmp(t, "Established") == 0 && strcmp(s, "True") == 0)
				ok = 1;
		}
		cJSON_Delete(live);
		if (ok)
			return 0;
		if (rc && rc != KAIRN_ENOTFOUND)
			return rc;
		if (time_mono_ms() > deadline)
			return kerr_set(e, KAIRN_ETIMEOUT, "CRD %s is not Established after %llds", name,
					(long long)(limit / 1000));
		time_sleep_ms(100);
	}
}
