/*
 * patchops.c — the seam between the server and the patch library for
 * server-side apply and managedFields tracking. Until patch/ provides
 * kssa_apply and kssa_track_update, this holds a simplified stand-in
 * (apply = merge patch, one managedFields entry per manager, no conflicts).
 */
#include <string.h>
#include "patch/patch.h"
#include "patchops.h"
#include "util/jsonx.h"

static void set_entry(cJSON *obj, const char *manager, const char *op, const char *api_version,
		      const char *sub, const char *now)
{
	cJSON *md = jsonx_ensure_obj(obj, "metadata");
	if (!md)
		return;
	cJSON *mf = cJSON_GetObjectItemCaseSensitive(md, "managedFields");
	if (!cJSON_IsArray(mf)) {
		mf = cJSON_CreateArray();
		jsonx_set(md, "managedFields", mf);
	}
	int i = 0;
	cJSON *it;
	cJSON_ArrayForEach(it, mf) {
		const char *m = jsonx_str(it, "manager"), *o = jsonx_str(it, "operation");
		const char *s = jsonx_str(it, "subresource");
		if (m && o && !strcmp(m, manager) && !strcmp(o, op) && !strcmp(s ? s : "", sub ? sub : "")) {
			cJSON_DeleteItemFromArray(mf, i);
			break;
		}
		i++;
	}
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "manager", manager);
	cJSON_AddStringToObject(e, "operation", op);
	cJSON_AddStringToObject(e, "apiVersion", api_version);
	cJSON_AddStringToObject(e, "time", now);
	cJSON_AddStringToObject(e, "fieldsType", "FieldsV1");
	cJSON_AddObjectToObject(e, "fieldsV1");
	if (sub)
		cJSON_AddStringToObject(e, "subresource", sub);
	cJSON_AddItemToArray(mf, e);
}

int ks_ssa_apply(const cJSON *live, const cJSON *applied, const struct kssa_req *req, cJSON **out,
		 cJSON **conflicts, struct kerr *e)
{
	*conflicts = NULL;
	cJSON *empty = cJSON_CreateObject();
	int rc = kpatch_merge(live ? live : empty, applied, out, e);
	cJSON_Delete(empty);
	if (rc)
		return rc;
	if (live && kjson_equal(*out, live))
		return 0;
	set_entry(*out, req->manager, "Apply", req->api_version, req->subresource, req->now);
	return 0;
}

int ks_ssa_track_update(const cJSON *old, cJSON *updated, const char *manager, const char *api_version,
			const char *subresource, const char *now, struct kerr *e)
{
	set_entry(updated, manager, "Update", api_version, subresource, now);
	return 0;
}
