/*
 * merge.c — JSON merge patch (RFC 7386): objects merge key by key, null
 * deletes, anything else (arrays included) replaces.
 */
#include "patch.h"

static cJSON *merge_value(const cJSON *target, const cJSON *patch)
{
	cJSON *out;
	const cJSON *p;

	if (!cJSON_IsObject(patch))
		return cJSON_Duplicate(patch, 1);
	out = cJSON_IsObject(target) ? cJSON_Duplicate(target, 1) : cJSON_CreateObject();
	if (!out)
		return NULL;
	cJSON_ArrayForEach(p, patch) {
		if (cJSON_IsNull(p)) {
			cJSON_DeleteItemFromObjectCaseSensitive(out, p->string);
			continue;
		}
		cJSON *merged = merge_value(cJSON_GetObjectItemCaseSensitive(out, p->string), p);

		if (!merged) {
			cJSON_Delete(out);
			return NULL;
		}
		if (cJSON_GetObjectItemCaseSensitive(out, p->string))
			cJSON_ReplaceItemInObjectCaseSensitive(out, p->string, merged);
		else
			cJSON_AddItemToObject(out, p->string, merged);
	}
	return out;
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
