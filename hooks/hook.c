/*
 * hook.c — hook annotations of three dialects to one struct hook_spec.
 */
#include "hook.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct word_map {
	const char *word;
	unsigned bits;
};

static const struct word_map kairn_phases[] = {
	{ "pre-sync", HOOK_PHASE_PRE_SYNC }, { "sync", HOOK_PHASE_SYNC },
	{ "post-sync", HOOK_PHASE_POST_SYNC }, { "sync-fail", HOOK_PHASE_SYNC_FAIL },
	{ "skip", HOOK_PHASE_SKIP }, { NULL, 0 },
};

static const struct word_map argo_phases[] = {
	{ "PreSync", HOOK_PHASE_PRE_SYNC }, { "Sync", HOOK_PHASE_SYNC },
	{ "PostSync", HOOK_PHASE_POST_SYNC }, { "SyncFail", HOOK_PHASE_SYNC_FAIL },
	{ "Skip", HOOK_PHASE_SKIP }, { "PostDelete", HOOK_PHASE_UNSUPPORTED }, { NULL, 0 },
};

static const struct word_map helm_phases[] = {
	{ "pre-install", HOOK_PHASE_PRE_SYNC }, { "pre-upgrade", HOOK_PHASE_PRE_SYNC },
	{ "post-install", HOOK_PHASE_POST_SYNC }, { "post-upgrade", HOOK_PHASE_POST_SYNC },
	{ "pre-delete", HOOK_PHASE_UNSUPPORTED }, { "post-delete", HOOK_PHASE_UNSUPPORTED },
	{ "pre-rollback", HOOK_PHASE_UNSUPPORTED }, { "post-rollback", HOOK_PHASE_UNSUPPORTED },
	{ "test", HOOK_PHASE_UNSUPPORTED }, { "test-success", HOOK_PHASE_UNSUPPORTED },
	{ "crd-install", HOOK_PHASE_UNSUPPORTED }, { NULL, 0 },
};

static const struct word_map kairn_policies[] = {
	{ "before-hook-creation", HOOK_DELETE_BEFORE_CREATION },
	{ "hook-succeeded", HOOK_DELETE_ON_SUCCESS }, { "hook-failed", HOOK_DELETE_ON_FAILURE },
	{ NULL, 0 },
};

static const struct word_map argo_policies[] = {
	{ "BeforeHookCreation", HOOK_DELETE_BEFORE_CREATION },
	{ "HookSucceeded", HOOK_DELETE_ON_SUCCESS }, { "HookFailed", HOOK_DELETE_ON_FAILURE },
	{ NULL, 0 },
};

static const char *annotation(const cJSON *obj, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(jsonx_get(obj, "metadata.annotations"), key);

	return cJSON_IsString(a) ? a->valuestring : NULL;
}

/* Maps a comma-separated list of words to bits; unknown word → error. */
static int map_words(const char *key, const char *value, const struct word_map *map,
		     unsigned *bits, struct kerr *e)
{
	const char *p = value;

	*bits = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const struct word_map *m;

		while (n && *p == ' ') {
			p++;
			n--;
		}
		while (n && p[n - 1] == ' ')
			n--;
		for (m = map; n && m->word; m++)
			if (strlen(m->word) == n && strncmp(m->word, p, n) == 0)
				break;
		if (n && !m->word)
			return kerr_set(e, KAIRN_EINVAL, "metadata.annotations[\"%s\"]: unknown value \"%.*s\"",
					key, (int)n, p);
		if (n)
			*bits |= m->bits;
		p += n;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int parse_int(const char *key, const char *v, int *out, struct kerr *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno || n < INT_MIN || n > INT_MAX)
		return kerr_set(e, KAIRN_EINVAL, "metadata.annotations[\"%s\"]: \"%s\" is not an integer",
				key, v);
	*out = (int)n;
	return 0;
}

int hook_spec_of(const cJSON *obj, struct hook_spec *spec, struct kerr *e)
{
	static const struct {
		const char *hook, *weight, *policy;
		const struct word_map *phases, *policies;
	} dialects[] = {
		{ "kairn.dev/hook", "kairn.dev/hook-weight", "kairn.dev/hook-delete-policy",
		  kairn_phases, kairn_policies },
		{ "argocd.argoproj.io/hook", "argocd.argoproj.io/sync-wave",
		  "argocd.argoproj.io/hook-delete-policy", argo_phases, argo_policies },
		{ "helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy", helm_phases,
		  kairn_policies },
	};
	const char *v;

	memset(spec, 0, sizeof(*spec));
	spec->delete_policy = HOOK_DELETE_BEFORE_CREATION;
	spec->timeout_ms = HOOK_DEFAULT_TIMEOUT_MS;
	for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
		v = annotation(obj, dialects[i].hook);
		if (!v)
			continue;
		spec->dialect = dialects[i].hook;
		if (map_words(dialects[i].hook, v, dialects[i].phases, &spec->phases, e))
			return e ? e->code : KAIRN_EINVAL;
		if (spec->phases == 0)
			return kerr_set(e, KAIRN_EINVAL, "metadata.annotations[\"%s\"]: empty",
					dialects[i].hook);
		v = annotation(obj, dialects[i].weight);
		if (v && parse_int(dialects[i].weight, v, &spec->weight, e))
			return e ? e->code : KAIRN_EINVAL;
		v = annotation(obj, dialects[i].policy);
		if (v && map_words(dialects[i].policy, v, dialects[i].policies, &spec->delete_policy, e))
			return e ? e->code : KAIRN_EINVAL;
		break;
	}
	v = annotation(obj, "kairn.dev/hook-timeout");
	if (spec->phases && v && (time_parse_duration_ms(v, &spec->timeout_ms) || spec->timeout_ms <= 0))
		return kerr_set(e, KAIRN_EINVAL,
				"metadata.annotations[\"kairn.dev/hook-timeout\"]: \"%s\" is not a duration "
				"like 90s or 10m",
				v);
	return 0;
}

int hook_spec_at(const cJSON *obj, const char *file, int line, struct hook_spec *spec,
		 struct kerr *e)
{
	const char *kind = jsonx_str(obj, "kind"), *ns = jsonx_str(obj, "metadata.namespace");
	const char *name = jsonx_str(obj, "metadata.name");
	int rc = hook_spec_of(obj, spec, e);

	if (!name)
		name = jsonx_str(obj, "metadata.generateName");

	if (rc)
		kerr_prefix(e, "%s:%d: %s %s%s%s", file && *file ? file : "?", line, kind ? kind : "object",
			    ns ? ns : "", ns ? "/" : "", name ? name : "?");
	return rc;
}

void hook_format_duration(int64_t ms, char *out, size_t outlen)
{
	int64_t s = ms / 1000;

	if (ms % 1000 || ms == 0)
		snprintf(out, outlen, "%lldms", (long long)ms);
	else if (s % 3600 == 0)
		snprintf(out, outlen, "%lldh", (long long)(s / 3600));
	else if (s % 60 == 0)
		snprintf(out, outlen, "%lldm", (long long)(s / 60));
	else if (s > 60)
		snprintf(out, outlen, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(out, outlen, "%llds", (long long)s);
}

const char *hook_phase_name(enum hook_phase p)
{
	switch (p) {
	case HOOK_PHASE_PRE_SYNC: return "pre-sync";
	case HOOK_PHASE_SYNC: return "sync";
	case HOOK_PHASE_POST_SYNC: return "post-sync";
	case HOOK_PHASE_SYNC_FAIL: return "sync-fail";
	case HOOK_PHASE_SKIP: return "skip";
	case HOOK_PHASE_UNSUPPORTED: return "unsupported";
	}
	return "?";
}
