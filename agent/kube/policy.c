/*
 * policy.c — token bucket, retry decisions, Retry-After and Status decoding.
 * See policy.h. Pure functions of their inputs (the limiter holds a mutex so
 * many threads may reserve from one bucket).
 */
#include "kube/policy.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kube_limiter_init(struct kube_limiter *l, double qps, int burst, int64_t now_ms)
{
	pthread_mutex_init(&l->mu, NULL);
	l->qps = qps;
	l->burst = burst > 0 ? burst : 1;
	l->tokens = l->burst;
	l->last_ms = now_ms;
}

void kube_limiter_destroy(struct kube_limiter *l)
{
	pthread_mutex_destroy(&l->mu);
}

int64_t kube_limiter_reserve(struct kube_limiter *l, int64_t now_ms)
{
	int64_t wait = 0;

	if (l->qps <= 0)
		return 0;
	pthread_mutex_lock(&l->mu);
	if (now_ms > l->last_ms) {
		l->tokens += (double)(now_ms - l->last_ms) * l->qps / 1000.0;
		if (l->tokens > l->burst)
			l->tokens = l->burst;
		l->last_ms = now_ms;
	}
	l->tokens -= 1.0;
	if (l->tokens < 0) {
		/* ceil: never hand out a token before it exists */
		double ms = -l->tokens * 1000.0 / l->qps;

		wait = (int64_t)ms;
		if ((double)wait < ms)
			wait++;
	}
	pthread_mutex_unlock(&l->mu);
	return wait;
}

int kube_retry_should(const struct kube_retry_policy *p, int attempt, int idempotent,
		      const struct kube_attempt *a)
{
	if (attempt >= p->max_attempts)
		return 0;
	if (a->http_status == 429)
		return 1;
	if (a->http_status >= 500 && a->http_status <= 599)
		return idempotent;
	if (a->http_status != 0)
		return 0;
	if (a->net_error == KAIRN_ETLS)
		return 0;
	if (a->net_error == KAIRN_ENET || a->net_error == KAIRN_ETIMEOUT)
		return idempotent || !a->request_sent;
	return 0;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

int64_t kube_retry_delay_ms(const struct kube_retry_policy *p, int attempt,
			    const struct kube_attempt *a, uint64_t *rng)
{
	int64_t d = p->base_ms;

	if (a->retry_after_ms >= 0)
		return a->retry_after_ms < p->max_ms ? a->retry_after_ms : p->max_ms;
	for (int i = 1; i < attempt && d < p->max_ms; i++)
		d *= 2;
	if (d > p->max_ms)
		d = p->max_ms;
	if (d <= 1)
		return d;
	return d / 2 + (int64_t)(xorshift64(rng) % (uint64_t)(d - d / 2 + 1));
}

int kube_retry_after_parse(const char *v, time_t now, int64_t *ms)
{
	struct tm tm;
	const char *end;
	char *num_end;
	long secs;

	while (v && isspace((unsigned char)*v))
		v++;
	if (!v || !*v)
		return -1;
	if (isdigit((unsigned char)*v)) {
		secs = strtol(v, &num_end, 10);
		while (isspace((unsigned char)*num_end))
			num_end++;
		if (*num_end || secs < 0 || secs > 86400)
			return -1;
		*ms = (int64_t)secs * 1000;
		return 0;
	}
	/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	{
		time_t t = timegm(&tm);

		*ms = t > now ? (int64_t)(t - now) * 1000 : 0;
	}
	return 0;
}

int kube_status_code(int http_status, const char *reason)
{
	if (reason && (strcmp(reason, "AlreadyExists") == 0 || strcmp(reason, "Conflict") == 0))
		return KAIRN_ECONFLICT;
	switch (http_status) {
	case 400:
	case 422: return KAIRN_EINVAL;
	case 401:
	case 403: return KAIRN_EAUTH;
	case 404: return KAIRN_ENOTFOUND;
	case 409: return KAIRN_ECONFLICT;
	case 410: return KAIRN_EGONE;
	case 415:
	case 405: return KAIRN_EUNSUPPORTED;
	case 504: return KAIRN_ETIMEOUT;
	}
	return KAIRN_EAPI;
}

static const char *default_reason(int http_status)
{
	switch (http_status) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	case 504: return "Timeout";
	}
	return http_status >= 500 ? "InternalError" : "Unknown";
}

/* Copies at most max bytes of s into out, replacing control characters, so
 * that a hostile body cannot forge log lines. */
static void copy_printable(char *out, size_t outlen, const char *s, size_t max)
{
	size_t j = 0;

	for (size_t i = 0; s && i < max && s[i] && j + 1 < outlen; i++)
		out[j++] = (unsigned char)s[i] < 0x20 && s[i] != '\n' ? ' ' : s[i];
	out[j] = '\0';
}

int kube_status_error(int http_status, const char *body, size_t len, const char *method,
		      const char *path, char reason_out[64], struct kerr *e)
{
	cJSON *st = body && len ? cJSON_ParseWithLength(body, len) : NULL;
	const char *reason = NULL, *message = NULL;
	char msg[1024] = "", causes[768] = "", rsn[64];
	int code;

	if (st && cJSON_IsObject(st)) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "reason");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(st, "message");
		const cJSON *details = cJSON_GetObjectItemCaseSensitive(st, "details");
		const cJSON *cs = details ? cJSON_GetObjectItemCaseSensitive(details, "causes") : NULL;
		const cJSON *c;
		size_t used = 0;

		if (cJSON_IsString(r) && r->valuestring[0])
			reason = r->valuestring;
		if (cJSON_IsString(m))
			message = m->valuestring;
		cJSON_ArrayForEach(c, cs) {
			const char *cm = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "message"));
			const char *cf = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "field"));
			int n;

			/* Causes the message already spells out are not repeated. */
			if (!cm || (message && strstr(message, cm) && (!cf || strstr(message, cf))))
				continue;
			n = snprintf(causes + used, sizeof(causes) - used, "%s%s%s%s",
				     used ? "; " : " (", cf ? cf : "", cf ? ": " : "", cm);
			if (n < 0 || (size_t)n >= sizeof(causes) - used)
				break;
			used += (size_t)n;
		}
		if (used && used + 1 < sizeof(causes))
			causes[used] = ')', causes[used + 1] = '\0';
		else
			causes[0] = '\0';
	}
	if (message)
		copy_printable(msg, sizeof(msg), message, 900);
	else if (body && len && !st)
		copy_printable(msg, sizeof(msg), body, len < 200 ? len : 200);
	copy_printable(rsn, sizeof(rsn), reason ? reason : default_reason(http_status), 63);
	if (reason_out)
		memcpy(reason_out, rsn, sizeof(rsn));
	code = kube_status_code(http_status, rsn);
	kerr_set(e, code, "%s %s: %d %s%s%s%s", method, path, http_status, rsn, msg[0] ? ": " : "",
		 msg, causes);
	cJSON_Delete(st);
	return code;
}
