/*
 * guard.c — prune guards. See guard.h.
 */
#include "guard.h"
#include "util/jsonx.h"

#include <string.h>

static const char *annotation(const cJSON *obj, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(jsonx_get(obj, "metadata.annotations"), key);

	return cJSON_IsString(a) ? a->valuestring : NULL;
}

/* Argo CD sync-options is a comma-separated list: "Prune=false,Validate=false". */
static int sync_options_say_no_prune(const char *opts)
{
	for (const char *p = opts; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		while (n && *p == ' ') {
			p++;
			n--;
		}
		while (n && p[n - 1] == ' ')
			n--;
		if (n == 11 && strncmp(p, "Prune=false", 11) == 0)
			return 1;
		p = end ? end + 1 : p + n;
	}
	return 0;
}

enum prune_verdict prune_guard_object(const cJSON *live, const char *source)
{
	static const char *const system_ns[] = { "default", "kube-system", "kube-public",
						 "kube-node-lease" };
	const char *kind = jsonx_str(live, "kind");
	const char *api = jsonx_str(live, "apiVersion");
	const char *name = jsonx_str(live, "metadata.name");
	const cJSON *label;
	const char *v;

	if (kind && api && name && strcmp(kind, "Namespace") == 0 && strcmp(api, "v1") == 0) {
		for (size_t i = 0; i < 4; i++)
			if (strcmp(name, system_ns[i]) == 0)
				return PRUNE_SKIP_SYSTEM_NAMESPACE;
	}
	v = annotation(live, "kairn.dev/prune");
	if (v && strcmp(v, "disabled") == 0)
		return PRUNE_SKIP_ANNOTATED;
	if (sync_options_say_no_prune(annotation(live, "argocd.argoproj.io/sync-options")))
		return PRUNE_SKIP_ANNOTATED;
	v = annotation(live, "helm.sh/resource-policy");
	if (v && strcmp(v, "keep") == 0)
		return PRUNE_SKIP_ANNOTATED;
	label = cJSON_GetObjectItemCaseSensitive(jsonx_get(live, "metadata.labels"), KAIRN_SOURCE_LABEL);
	if (!cJSON_IsString(label) || !source || strcmp(label->valuestring, source) != 0)
		return PRUNE_SKIP_NOT_OURS;
	return PRUNE_OK;
}

const char *prune_verdict_text(enum prune_verdict v)
{
	switch (v) {
	case PRUNE_OK: return "prune";
	case PRUNE_SKIP_SYSTEM_NAMESPACE: return "system namespace, never pruned";
	case PRUNE_SKIP_ANNOTATED: return "annotated to be kept";
	case PRUNE_SKIP_NOT_OURS: return "not labelled " KAIRN_SOURCE_LABEL " for this source";
	}
	return "unknown";
}

int prune_guard_set(size_t n_desired, size_t n_inventory, size_t n_prune,
		    const struct prune_limits *lim, struct kerr *e)
{
	double max = lim && lim->max_fraction > 0 ? lim->max_fraction : 0.5;

	if (n_prune == 0 || (lim && lim->force))
		return 0;
	if (n_desired == 0)
		return kerr_set(e, KAIRN_EGUARD,
				"refusing to prune %zu objects: Git has no objects for this source "
				"(an empty or wrong path?); use --force-prune if this is intended",
				n_prune);
	if (n_inventory > 0 && (double)n_prune > max * (double)n_inventory)
		return kerr_set(e, KAIRN_EGUARD,
				"refusing to prune %zu of %zu inventoried objects (more than %.0f%%); "
				"use --force-prune or raise --max-prune if this is intended",
				n_prune, n_inventory, max * 100);
	return 0;
}
