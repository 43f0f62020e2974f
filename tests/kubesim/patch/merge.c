/*
 * merge.c — JSON merge patch (RFC 7386): objects merge key by key, null
 * deletes, anything else (arrays included) replaces. Members are matched
 * through hash indexes, so large maps (ConfigMap data) merge in linear time;
 * the inputs are never modified.
 */
#include "kjson.h"
#include "patch.h"

static cJSON *merge_value(const cJSON *target, const cJSON *patch);

/* Adds the merge of target member t (may be NULL) with patch member p (may
 * be NULL) under name; 0, or -1 on ENOMEM. A null patch member deletes. */
static int merge_member(cJSON *out, const char *name, const cJSON *t, const cJSON *p)
{
	cJSON *v;

	if (cJSON_IsNull(p))
		return 0;
	v = p ? merge_value(t, p) : cJSON_Duplicate(t, 1);
	if (!v)
		return -1;
	cJSON_AddItemToObject(out, name, v);
	return 0;
}

static cJSON *merge_value(const cJSON *target, const cJSON *patch)
{
	struct kjson_index tix = { 0 }, pix = { 0 };
	const cJSON *c;
	cJSON *out;

	if (!cJSON_IsObject(patch))
		return cJSON_Duplicate(patch, 1);
	if (!cJSON_IsObject(target))
		target = NULL;
	if (!(out = cJSON_CreateObject()) || kjson_index_init(&tix, target) || kjson_index_init(&pix, patch))
		goto nomem;
	cJSON_ArrayForEach(c, target)
		if (merge_member(out, c->string, c, kjson_index_get(&pix, c->string)))
			goto nomem;
	cJSON_ArrayForEach(c, patch)
		if (!kjson_index_get(&tix, c->string) && merge_member(out, c->string, NULL, c))
			goto nomem;
	kjson_index_fini(&tix);
	kjson_index_fini(&pix);
	return out;
nomem:
	kjson_index_fini(&tix);
	kjson_index_fini(&pix);
	cJSON_Delete(out);
	return NULL;
}

int kpatch_merge(const cJSON *doc, const cJSON *patch, cJSON **out, struct kerr *e)
{
	*out = NULL;
	if (!patch)
		return kerr_set(e, KAIRN_EINVAL, "empty merge patch");
	*out = merge_value(doc, patch);
	if (!*out)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	return 0;
}
