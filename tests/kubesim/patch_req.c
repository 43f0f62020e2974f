/*
 * patch_req.c — PATCH requests: the four patch types (JSON patch, merge
 * patch, strategic merge patch for built-in kinds, server-side apply with
 * managedFields and conflicts) on objects, their status and their scale
 * subresource. Merging itself is the patch library's; this file picks the
 * operation, maps its errors to Status answers and commits the result.
 */
#include <stdlib.h>
#include <string.h>
#include "objects.h"
#include "patch/patch.h"
#include "util/jsonx.h"

enum ptype { P_JSON, P_MERGE, P_STRATEGIC, P_APPLY, P_UNKNOWN };

static enum ptype patch_type(const char *ct)
{
	if (!ct)
		return P_UNKNOWN;
	if (!strncmp(ct, "application/json-patch+json", 27))
		return P_JSON;
	if (!strncmp(ct, "application/merge-patch+json", 28))
		return P_MERGE;
	if (!strncmp(ct, "application/strategic-merge-patch+json", 38))
		return P_STRATEGIC;
	if (!strncmp(ct, "application/apply-patch+yaml", 28))
		return P_APPLY;
	return P_UNKNOWN;
}

cJSON *ks_scale_from(const struct ks_res *res, const cJSON *obj)
{
	cJSON *sc = cJSON_CreateObject();
	cJSON_AddStringToObject(sc, "kind", "Scale");
	cJSON_AddStringToObject(sc, "apiVersion", "autoscaling/v1");
	cJSON *md = cJSON_AddObjectToObject(sc, "metadata");
	static const char *const keep[] = { "name", "namespace", "uid", "resourceVersion", "creationTimestamp" };
	for (size_t i = 0; i < 5; i++) {
		const cJSON *v = jsonx_get(jsonx_get(obj, "metadata"), keep[i]);
		if (v)
			cJSON_AddItemToObject(md, keep[i], cJSON_Duplicate(v, 1));
	}
	cJSON_AddNumberToObject(cJSON_AddObjectToObject(sc, "spec"), "replicas",
				(double)jsonx_long(obj, "spec.replicas", 1));
	cJSON *st = cJSON_AddObjectToObject(sc, "status");
	cJSON_AddNumberToObject(st, "replicas", (double)jsonx_long(obj, "status.replicas", 0));
	struct kbuf sel = { 0 };
	const cJSON *it;
	cJSON_ArrayForEach(it, jsonx_get(obj, "spec.selector.matchLabels")) {
		if (cJSON_IsString(it))
			kbuf_printf(&sel, "%s%s=%s", sel.len ? "," : "", it->string, it->valuestring);
	}
	cJSON_AddStringToObject(st, "selector", sel.data ? sel.data : "");
	kbuf_free(&sel);
	return sc;
}

static int run_patch(enum ptype t, const struct ks_res *res, const cJSON *doc, const cJSON *patch, cJSON **out,
		     struct kerr *e)
{
	switch (t) {
	case P_JSON:
		return kpatch_json(doc, patch, out, e);
	case P_MERGE:
		return kpatch_merge(doc, patch, out, e);
	case P_STRATEGIC:
		return kpatch_strategic(doc, patch, res->group, res->kind, out, e);
	default:
		return kerr_set(e, KAIRN_EUNSUPPORTED, "unsupported patch type");
	}
}

static void patch_failed(struct ks_resp *o, const struct ks_res *res, const char *name, const struct kerr *e)
{
	if (e->code == KAIRN_EUNSUPPORTED)
		ks_resp_status(o, 415, "UnsupportedMediaType", res, name, "%s", e->msg);
	else
		ks_resp_status(o, 422, "Invalid", res, name, "%s", e->msg);
}

static void patch_scale(struct ks_req *r, struct ks_res *res, struct ks_ver *v, enum ptype t, const cJSON *patch,
			struct ks_resp *o)
{
	cJSON *sc = ks_scale_from(res, v->obj), *out = NULL;
	struct kerr e;
	kerr_clear(&e);
	if (run_patch(t == P_STRATEGIC ? P_MERGE : t, res, sc, patch, &out, &e)) {
		patch_failed(o, res, r->name, &e);
		goto done;
	}
	const cJSON *rep = jsonx_get(out, "spec.replicas");
	if (!cJSON_IsNumber(rep) || rep->valuedouble < 0) {
		ks_resp_invalid(o, res, r->name, "spec.replicas", "FieldValueInvalid",
				"Invalid value: must be greater than or equal to 0");
		goto done;
	}
	cJSON *neu = cJSON_Duplicate(v->obj, 1);
	jsonx_set(jsonx_ensure_obj(neu, "spec"), "replicas", cJSON_CreateNumber(rep->valuedouble));
	char mgr[256];
	ks_field_manager(r, mgr, sizeof(mgr));
	char *sub = r->sub;
	r->sub = NULL;
	ks_commit_update(r, res, v, neu, mgr, 0, o);
	r->sub = sub;
	if (o->code == 200) {
		struct ks_ver *nv = ks_coll_get(res->coll, v->ns, r->name);
		cJSON *ans = ks_scale_from(res, nv ? nv->obj : v->obj);
		ks_resp_obj(o, 200, ans);
		cJSON_Delete(ans);
	}
done:
	cJSON_Delete(sc);
	cJSON_Delete(out);
}

static void apply(struct ks_req *r, struct ks_res *res, struct ks_ver *v, cJSON *applied, struct ks_resp *o)
{
	const char *mgr = ks_q(r, "fieldManager");
	if (!mgr || !*mgr) {
		ks_resp_status(o, 422, "Invalid", NULL, NULL,
			       "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
		return;
	}
	char av[300];
	ks_api_version(res, av, sizeof(av));
	const char *kind = jsonx_str(applied, "kind"), *aav = jsonx_str(applied, "apiVersion");
	const char *name = jsonx_str(applied, "metadata.name");
	if (!kind || !aav || strcmp(kind, res->kind)) {
		ks_resp_status(o, 400, "BadRequest", res, r->name,
			       "%s in version \"%s\" cannot be handled as a %s: apply patch must carry apiVersion and kind (%s)",
			       res->kind, res->version, res->kind, res->kind);
		return;
	}
	if (name && strcmp(name, r->name)) {
		ks_resp_status(o, 400, "BadRequest", res, r->name,
			       "the name of the object (%s) does not match the name on the URL (%s)", name, r->name);
		return;
	}
	if (!r->sub && ks_check_fields(r, res, applied, o))
		return;
	char now[32];
	ks_now(now);
	const char *force = ks_q(r, "force");
	struct kssa_req req = { .manager = mgr, .api_version = aav, .subresource = r->sub,
				.force = force && !strcmp(force, "true"), .now = now };
	cJSON *out = NULL, *conflicts = NULL;
	struct kerr e;
	kerr_clear(&e);
	int rc = kssa_apply(v ? v->obj : NULL, applied, &req, &out, &conflicts, &e);
	if (rc == KAIRN_ECONFLICT) {
		ks_resp_status_causes(o, 409, "Conflict", res, r->name, conflicts, e.msg);
		return;
	}
	cJSON_Delete(conflicts);
	if (rc) {
		patch_failed(o, res, r->name, &e);
		return;
	}
	jsonx_set(out, "apiVersion", cJSON_CreateString(av));
	if (!v) {
		if (r->sub) {
			cJSON_Delete(out);
			ks_resp_status(o, 404, "NotFound", res, r->name, "%s \"%s\" not found", res->resource, r->name);
			return;
		}
		cJSON *md = jsonx_ensure_obj(out, "metadata");
		if (md && !jsonx_str(md, "name"))
			jsonx_set(md, "name", cJSON_CreateString(r->name));
		ks_commit_create(r, res, out, mgr, 1, o);
		return;
	}
	ks_commit_update(r, res, v, out, mgr, 1, o);
}

void ks_handle_patch(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	enum ptype t = patch_type(ks_hdr(r, "Content-Type"));
	if (t == P_UNKNOWN || (t == P_STRATEGIC && !res->builtin)) {
		ks_resp_status(o, 415, "UnsupportedMediaType", res, r->name,
			       "the body of the request was in an unknown format - accepted media types include: "
			       "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml%s",
			       res->builtin ? ", application/strategic-merge-patch+json" : "");
		return;
	}
	char err[1024];
	cJSON *patch = ks_parse_body(r, t == P_APPLY, err, sizeof(err));
	if (!patch) {
		ks_resp_status(o, 400, "BadRequest", res, r->name, "error decoding patch: %s", err);
		return;
	}
	struct ks_ver *v = ks_coll_get(res->coll, r->ns ? r->ns : "", r->name);
	if (t == P_APPLY) {
		if (!cJSON_IsObject(patch))
			ks_resp_status(o, 400, "BadRequest", res, r->name, "apply patch must be an object");
		else if (r->sub && !strcmp(r->sub, "scale"))
			ks_resp_status(o, 415, "UnsupportedMediaType", res, r->name, "apply is not supported on scale");
		else
			apply(r, res, v, patch, o);
		goto out;
	}
	if (!v) {
		char q[300];
		ks_res_qualified(res, q, sizeof(q));
		ks_resp_status(o, 404, "NotFound", res, r->name, "%s \"%s\" not found", q, r->name);
		goto out;
	}
	if (r->sub && !strcmp(r->sub, "scale")) {
		patch_scale(r, res, v, t, patch, o);
		goto out;
	}
	cJSON *out = NULL;
	struct kerr e;
	kerr_clear(&e);
	if (run_patch(t, res, v->obj, patch, &out, &e)) {
		patch_failed(o, res, r->name, &e);
		goto out;
	}
	char mgr[256];
	ks_field_manager(r, mgr, sizeof(mgr));
	ks_commit_update(r, res, v, out, mgr, 0, o);
out:
	cJSON_Delete(patch);
}
