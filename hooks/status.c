/*
 * status.c — see status.h.
 */
#include "status.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <string.h>

static const cJSON *condition(const cJSON *live, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, jsonx_get(live, "status.conditions")) {
		const char *t = jsonx_str(c, "type");

		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

static int is_true(const cJSON *cond)
{
	const char *s = jsonx_str(cond, "status");

	return s && strcmp(s, "True") == 0;
}

enum hook_state hook_state_of(const cJSON *live, char *why, size_t whylen)
{
	const char *kind = jsonx_str(live, "kind");
	const char *api = jsonx_str(live, "apiVersion");

	if (why && whylen)
		why[0] = '\0';
	if (kind && api && strcmp(kind, "Job") == 0 && strncmp(api, "batch/", 6) == 0) {
		const cJSON *failed = condition(live, "Failed");

		if (is_true(condition(live, "Complete")))
			return HOOK_SUCCEEDED;
		if (is_true(failed)) {
			const char *reason = jsonx_str(failed, "reason");
			const char *msg = jsonx_str(failed, "message");

			if (why)
				snprintf(why, whylen, "Job failed: %s%s%s", reason ? reason : "Failed",
					 msg ? ": " : "", msg ? msg : "");
			return HOOK_FAILED;
		}
		return HOOK_RUNNING;
	}
	if (kind && api && strcmp(kind, "Pod") == 0 && strcmp(api, "v1") == 0) {
		const char *phase = jsonx_str(live, "status.phase");

		if (phase && strcmp(phase, "Succeeded") == 0)
			return HOOK_SUCCEEDED;
		if (phase && strcmp(phase, "Failed") == 0) {
			if (why)
				snprintf(why, whylen, "Pod failed");
			return HOOK_FAILED;
		}
		return HOOK_RUNNING;
	}
	return HOOK_SUCCEEDED;
}

void hook_status_summary(const cJSON *live, char *out, size_t outlen)
{
	const char *kind = jsonx_str(live, "kind");
	const cJSON *c;
	size_t n = 0;

	if (!out || !outlen)
		return;
	out[0] = '\0';
#define PUT(...)                                                                    \
	do {                                                                        \
		int w_ = snprintf(out + n, outlen - n, __VA_ARGS__);                \
		n = w_ < 0 ? n : (size_t)w_ >= outlen - n ? outlen - 1 : n + (size_t)w_; \
	} while (0)
	if (kind && strcmp(kind, "Pod") == 0) {
		const char *phase = jsonx_str(live, "status.phase");

		PUT("phase %s", phase ? phase : "unknown");
	}
	cJSON_ArrayForEach(c, jsonx_get(live, "status.conditions")) {
		const char *t = jsonx_str(c, "type"), *st = jsonx_str(c, "status");
		const char *reason = jsonx_str(c, "reason");

		PUT("%s%s=%s%s%s%s", n ? ", " : "conditions ", t ? t : "?", st ? st : "?",
		    reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
	}
	if (kind && strcmp(kind, "Job") == 0)
		PUT("%sactive %ld, succeeded %ld, failed %ld", n ? "; " : "",
		    jsonx_long(live, "status.active", 0), jsonx_long(live, "status.succeeded", 0),
		    jsonx_long(live, "status.failed", 0));
	if (!n)
		PUT("no status yet");
#undef PUT
}
