/*
 * testapi.c — kubesim's test endpoints under /kubesim/ (never in discovery,
 * never counted, no token needed):
 *
 *   GET    /kubesim/counters  -> {"requests":N,"writes":N,
 *                                  "verbs":{"get":N,...},
 *                                  "resources":{"configmaps":{"get":N,"patch":N,...},...}}
 *          verbs: get list watch create update patch delete deletecollection;
 *          writes = create+update+patch+delete+deletecollection; requests that
 *          are not about a resource count under resource "nonresource".
 *   DELETE /kubesim/counters  -> zeroes them (204-like {"ok":true})
 *   POST   /kubesim/faults    body: one fault or {"faults":[...]}, each
 *          {"type":"latency"|"429"|"500"|"drop", "ms":N (latency),
 *           "retryAfter":S (429, default 1), "count":N (default unlimited),
 *           "fraction":F (0..1, default 1), "path":"/api/v1/..." (prefix),
 *           "method":"GET"} -> {"ok":true,"faults":N}
 *   GET    /kubesim/faults    -> {"faults":[... with "hits"]}
 *   DELETE /kubesim/faults    -> clears every fault
 *   GET    /kubesim/state     -> {"resourceVersion":"N","objects":[...every object...]}
 *   GET    /kubesim/events?since=RV
 *                             -> {"resourceVersion":"N","events":[{"resourceVersion":"N",
 *                                  "type":"ADDED"|"MODIFIED"|"DELETED","apiVersion","kind",
 *                                  "namespace","name","object":{...}},...]} — every
 *                                  stored change after RV (default 0) still in the
 *                                  event history, oldest first: client writes and the
 *                                  simulated controllers' status updates alike, so a
 *                                  test can prove the order things happened in
 *                                  (410 when RV is older than the history)
 *   POST   /kubesim/reset     -> objects, CRDs, counters and faults back to the start
 *                                (seeded namespaces only); watches must relist (410)
 *
 * Faults apply to API requests (not /kubesim/, not health checks), in the
 * order given; the first matching fault that fires decides.
 */
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

static int is_write(const char *verb)
{
	return !strcmp(verb, "create") || !strcmp(verb, "update") || !strcmp(verb, "patch") ||
	       !strcmp(verb, "delete") || !strcmp(verb, "deletecollection");
}

void ks_count(struct ks_server *s, const char *verb, const char *resource)
{
	char key[200];
	snprintf(key, sizeof(key), "%s %s", verb, resource);
	pthread_mutex_lock(&s->tmu);
	s->n_requests++;
	if (is_write(verb))
		s->n_writes++;
	long *c = strmap_get(s->counters, key);
	if (!c && (c = calloc(1, sizeof(*c))) && strmap_put(s->counters, key, c, NULL) != 0) {
		free(c);
		c = NULL;
	}
	if (c)
		(*c)++;
	pthread_mutex_unlock(&s->tmu);
}

static void counter_json(const char *key, void *val, void *arg)
{
	cJSON *root = arg;
	const char *sp = strchr(key, ' ');
	if (!sp)
		return;
	char verb[64];
	snprintf(verb, sizeof(verb), "%.*s", (int)(sp - key), key);
	long n = *(long *)val;
	cJSON *verbs = cJSON_GetObjectItemCaseSensitive(root, "verbs");
	cJSON *vc = cJSON_GetObjectItemCaseSensitive(verbs, verb);
	if (vc)
		cJSON_SetNumberValue(vc, vc->valuedouble + (double)n);
	else
		cJSON_AddNumberToObject(verbs, verb, (double)n);
	cJSON *all = cJSON_GetObjectItemCaseSensitive(root, "resources");
	cJSON *res = cJSON_GetObjectItemCaseSensitive(all, sp + 1);
	if (!res)
		res = cJSON_AddObjectToObject(all, sp + 1);
	cJSON_AddNumberToObject(res, verb, (double)n);
}

static void free_counter(const char *key, void *val, void *arg)
{
	free(val);
}

static void counters_clear(struct ks_server *s)
{
	strmap_each(s->counters, free_counter, NULL);
	strmap_free(s->counters);
	s->counters = strmap_new();
	s->n_requests = s->n_writes = 0;
}

static void fault_free(struct ks_fault *f)
{
	free(f->type);
	free(f->path);
	free(f->method);
}

static void faults_clear(struct ks_server *s)
{
	for (size_t i = 0; i < s->n_faults; i++)
		fault_free(&s->faults[i]);
	free(s->faults);
	s->faults = NULL;
	s->n_faults = 0;
}

static int fault_add(struct ks_server *s, const cJSON *j, char *err, size_t errn)
{
	const char *type = jsonx_str(j, "type");
	if (!type || (strcmp(type, "latency") && strcmp(type, "429") && strcmp(type, "500") && strcmp(type, "drop"))) {
		snprintf(err, errn, "fault type must be latency, 429, 500 or drop");
		return -1;
	}
	struct ks_fault *nf = realloc(s->faults, (s->n_faults + 1) * sizeof(*nf));
	if (!nf) {
		snprintf(err, errn, "out of memory");
		return -1;
	}
	s->faults = nf;
	struct ks_fault *f = &s->faults[s->n_faults++];
	memset(f, 0, sizeof(*f));
	f->type = strdup(type);
	f->path = jsonx_str(j, "path") ? strdup(jsonx_str(j, "path")) : NULL;
	f->method = jsonx_str(j, "method") ? strdup(jsonx_str(j, "method")) : NULL;
	f->ms = jsonx_long(j, "ms", 0);
	f->retry_after = jsonx_long(j, "retryAfter", 1);
	f->count = jsonx_long(j, "count", -1);
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(j, "fraction");
	f->fraction = cJSON_IsNumber(fr) ? fr->valuedouble : 1.0;
	return 0;
}

static double next_rand(struct ks_server *s)
{
	s->rand_state ^= s->rand_state << 13;
	s->rand_state ^= s->rand_state >> 7;
	s->rand_state ^= s->rand_state << 17;
	return (double)(s->rand_state >> 11) / (double)(1ull << 53);
}

int ks_fault_apply(struct ks_server *s, struct ks_req *r, struct ks_resp *o)
{
	long sleep_ms = 0;
	int answered = 0;
	pthread_mutex_lock(&s->tmu);
	for (size_t i = 0; i < s->n_faults && !answered; i++) {
		struct ks_fault *f = &s->faults[i];
		if (f->count == 0 || (f->path && strncmp(r->url, f->path, strlen(f->path))) ||
		    (f->method && strcmp(f->method, r->method)))
			continue;
		if (f->fraction < 1.0 && next_rand(s) >= f->fraction)
			continue;
		if (f->count > 0)
			f->count--;
		f->hits++;
		if (!strcmp(f->type, "latency")) {
			sleep_ms += f->ms;
		} else if (!strcmp(f->type, "429")) {
			ks_resp_status(o, 429, "TooManyRequests", NULL, NULL, "kubesim: injected fault: too many requests, please try again later");
			o->retry_after = f->retry_after;
			answered = 1;
		} else if (!strcmp(f->type, "500")) {
			ks_resp_status(o, 500, "InternalError", NULL, NULL, "kubesim: injected fault: an error on the server");
			answered = 1;
		} else {
			o->drop = 1;
			answered = 1;
		}
	}
	pthread_mutex_unlock(&s->tmu);
	if (sleep_ms > 0)
		time_sleep_ms(sleep_ms);
	return answered;
}

static void handle_faults(struct ks_req *r, struct ks_resp *o)
{
	struct ks_server *s = r->s;
	if (!strcmp(r->method, "DELETE")) {
		pthread_mutex_lock(&s->tmu);
		faults_clear(s);
		pthread_mutex_unlock(&s->tmu);
		ks_resp_json(o, 200, strdup("{\"ok\":true}"));
		return;
	}
	if (!strcmp(r->method, "GET")) {
		cJSON *root = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(root, "faults");
		pthread_mutex_lock(&s->tmu);
		for (size_t i = 0; i < s->n_faults; i++) {
			struct ks_fault *f = &s->faults[i];
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "type", f->type);
			if (f->path)
				cJSON_AddStringToObject(j, "path", f->path);
			if (f->method)
				cJSON_AddStringToObject(j, "method", f->method);
			cJSON_AddNumberToObject(j, "count", (double)f->count);
			cJSON_AddNumberToObject(j, "fraction", f->fraction);
			cJSON_AddNumberToObject(j, "hits", (double)f->hits);
			cJSON_AddItemToArray(arr, j);
		}
		pthread_mutex_unlock(&s->tmu);
		ks_resp_obj(o, 200, root);
		cJSON_Delete(root);
		return;
	}
	cJSON *body = cJSON_ParseWithLength(r->body, r->body_len);
	if (!cJSON_IsObject(body)) {
		cJSON_Delete(body);
		ks_resp_status(o, 400, "BadRequest", NULL, NULL, "fault body must be a JSON object");
		return;
	}
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "faults");
	char err[200] = "";
	int rc = 0;
	pthread_mutex_lock(&s->tmu);
	if (cJSON_IsArray(list)) {
		const cJSON *f;
		cJSON_ArrayForEach(f, list)
			if (!rc)
				rc = fault_add(s, f, err, sizeof(err));
	} else {
		rc = fault_add(s, body, err, sizeof(err));
	}
	size_t n = s->n_faults;
	pthread_mutex_unlock(&s->tmu);
	cJSON_Delete(body);
	if (rc) {
		ks_resp_status(o, 400, "BadRequest", NULL, NULL, "%s", err);
		return;
	}
	char *ans = malloc(64);
	if (ans)
		snprintf(ans, 64, "{\"ok\":true,\"faults\":%zu}", n);
	ks_resp_json(o, 200, ans);
}

static void handle_state(struct ks_req *r, struct ks_resp *o)
{
	struct ks_server *s = r->s;
	struct kbuf b = { 0 };
	pthread_mutex_lock(&s->mu);
	kbuf_printf(&b, "{\"resourceVersion\":\"%llu\",\"objects\":[", (unsigned long long)s->rv);
	int first = 1;
	for (size_t i = 0; i < ks_registry_count(s->reg); i++) {
		struct ks_res *res = ks_registry_at(s->reg, i);
		int seen = 0;
		for (size_t k = 0; k < i; k++)
			if (ks_registry_at(s->reg, k)->coll == res->coll)
				seen = 1;
		struct ks_ver **vs = NULL;
		size_t n = 0;
		if (seen || ks_coll_snapshot(res->coll, NULL, &vs, &n))
			continue;
		for (size_t k = 0; k < n; k++) {
			if (!first)
				kbuf_putc(&b, ',');
			first = 0;
			kbuf_append(&b, vs[k]->json, vs[k]->len);
		}
		free(vs);
	}
	pthread_mutex_unlock(&s->mu);
	kbuf_puts(&b, "]}");
	ks_resp_json(o, 200, kbuf_steal(&b));
}

static const char *ev_type_name(enum ks_ev_type t)
{
	return t == KS_EV_ADDED ? "ADDED" : t == KS_EV_MODIFIED ? "MODIFIED" : "DELETED";
}

static void handle_events(struct ks_req *r, struct ks_resp *o)
{
	struct ks_server *s = r->s;
	const char *since = ks_q(r, "since");
	char *end = NULL;
	unsigned long long after = since ? strtoull(since, &end, 10) : 0;
	if (since && (!*since || *end)) {
		ks_resp_status(o, 400, "BadRequest", NULL, NULL, "since: \"%s\" is not a resourceVersion", since);
		return;
	}
	pthread_mutex_lock(&s->mu);
	size_t cap = s->ring_len ? s->ring_len : 1;
	struct ks_event *evs = calloc(cap, sizeof(*evs));
	long n = evs ? ks_store_events_locked(s, after, evs, cap) : 0;
	uint64_t now = s->rv;
	pthread_mutex_unlock(&s->mu);
	if (!evs) {
		ks_resp_status(o, 500, "InternalError", NULL, NULL, "out of memory");
		return;
	}
	if (n < 0) {
		free(evs);
		ks_resp_status(o, 410, "Expired", NULL, NULL, "too old resource version: %llu", after);
		return;
	}
	struct kbuf b = { 0 };
	kbuf_printf(&b, "{\"resourceVersion\":\"%llu\",\"events\":[", (unsigned long long)now);
	int first = 1;
	for (long i = 0; i < n; i++) {
		const struct ks_ver *v = evs[i].ver;
		cJSON *head = cJSON_CreateObject();
		char rv[32];
		snprintf(rv, sizeof(rv), "%llu", (unsigned long long)evs[i].rv);
		cJSON_AddStringToObject(head, "resourceVersion", rv);
		cJSON_AddStringToObject(head, "type", ev_type_name(evs[i].type));
		cJSON_AddStringToObject(head, "apiVersion", jsonx_str(v->obj, "apiVersion") ? jsonx_str(v->obj, "apiVersion") : "");
		cJSON_AddStringToObject(head, "kind", jsonx_str(v->obj, "kind") ? jsonx_str(v->obj, "kind") : "");
		cJSON_AddStringToObject(head, "namespace", v->ns ? v->ns : "");
		cJSON_AddStringToObject(head, "name", v->name ? v->name : "");
		char *h = cJSON_PrintUnformatted(head);
		cJSON_Delete(head);
		if (h) {
			/* the head without its closing brace, then the stored object as is */
			if (!first)
				kbuf_putc(&b, ',');
			first = 0;
			kbuf_append(&b, h, strlen(h) - 1);
			kbuf_puts(&b, ",\"object\":");
			kbuf_append(&b, v->json, v->len);
			kbuf_putc(&b, '}');
			free(h);
		}
		ks_ver_unref(evs[i].ver);
	}
	free(evs);
	kbuf_puts(&b, "]}");
	ks_resp_json(o, 200, kbuf_steal(&b));
}

int ks_handle_test(struct ks_req *r, struct ks_resp *o)
{
	struct ks_server *s = r->s;
	const char *p = r->url + strlen("/kubesim");
	if (!strcmp(p, "/counters")) {
		if (!strcmp(r->method, "DELETE")) {
			pthread_mutex_lock(&s->tmu);
			counters_clear(s);
			pthread_mutex_unlock(&s->tmu);
			ks_resp_json(o, 200, strdup("{\"ok\":true}"));
			return 1;
		}
		cJSON *root = cJSON_CreateObject();
		pthread_mutex_lock(&s->tmu);
		cJSON_AddNumberToObject(root, "requests", (double)s->n_requests);
		cJSON_AddNumberToObject(root, "writes", (double)s->n_writes);
		cJSON_AddObjectToObject(root, "verbs");
		cJSON_AddObjectToObject(root, "resources");
		strmap_each(s->counters, counter_json, root);
		pthread_mutex_unlock(&s->tmu);
		ks_resp_obj(o, 200, root);
		cJSON_Delete(root);
		return 1;
	}
	if (!strcmp(p, "/faults")) {
		handle_faults(r, o);
		return 1;
	}
	if (!strcmp(p, "/state")) {
		handle_state(r, o);
		return 1;
	}
	if (!strcmp(p, "/events") && !strcmp(r->method, "GET")) {
		handle_events(r, o);
		return 1;
	}
	if (!strcmp(p, "/reset") && !strcmp(r->method, "POST")) {
		struct kerr e;
		kerr_clear(&e);
		pthread_mutex_lock(&s->mu);
		int rc = ks_store_reset(s, &e);
		pthread_mutex_unlock(&s->mu);
		pthread_mutex_lock(&s->tmu);
		counters_clear(s);
		faults_clear(s);
		pthread_mutex_unlock(&s->tmu);
		if (rc)
			ks_resp_status(o, 500, "InternalError", NULL, NULL, "%s", e.msg);
		else
			ks_resp_json(o, 200, strdup("{\"ok\":true}"));
		return 1;
	}
	return 0;
}

int ks_testapi_init(struct ks_server *s)
{
	s->counters = strmap_new();
	return s->counters ? 0 : KAIRN_ENOMEM;
}

void ks_testapi_fini(struct ks_server *s)
{
	if (s->counters) {
		strmap_each(s->counters, free_counter, NULL);
		strmap_free(s->counters);
	}
	s->counters = NULL;
	faults_clear(s);
}
