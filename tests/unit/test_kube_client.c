/*
 * test_kube_client.c — agent/kube against a scripted HTTP server (libmicrohttpd
 * on 127.0.0.1, a free port): request shapes (SSA, create, delete, list
 * paging), retries (429 + Retry-After, 5xx, not for POST), the concurrency
 * bound and QPS limiter, discovery refresh on a miss, token-file and exec
 * plugin credentials, and watch resume/relist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube.h"
#include "util/buf.h"
#include "util/fsutil.h"
#include "util/timeutil.h"

/* ---- the scripted server ------------------------------------------------- */

struct req {
	char method[16];
	char url[512];
	char query[512];     /* "k=v&k=v" as decoded by MHD, in arrival order */
	char auth[256];
	char content_type[128];
	struct kbuf body;
};

struct reply {
	int status;
	char *body;          /* malloc'd */
	int retry_after;     /* seconds, -1 none */
	int stream;          /* watch: serve srv.events then end/drop */
};

struct srv;
typedef void (*route_fn)(struct srv *s, const struct req *r, struct reply *out);

struct srv {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	route_fn route;
	int calls;           /* requests seen */
	int inflight, max_inflight;
	int delay_ms;        /* per request, to make concurrency visible */
	struct req last;     /* copy of the last request (body included) */
	char seen[64][1100];  /* "METHOD url?query" of the first 64 requests */
	/* watch script */
	const char **events; /* lines to send on the next stream */
	int drop;            /* end the stream with an error instead of cleanly */
	int counter;         /* free for routes */
	char token[64];      /* accepted bearer token, "" = any */
};

struct conn {
	struct req r;
};

struct stream_state {
	struct srv *s;
	const char **events;
	int i;
	int drop;
	size_t off;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_state *st = cls;
	const char *ev;
	size_t len;

	(void)pos;
	if (!st->events || !st->events[st->i])
		return st->drop ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	ev = st->events[st->i];
	len = strlen(ev) - st->off;
	if (len > max)
		len = max;
	memcpy(buf, ev + st->off, len);
	st->off += len;
	if (st->off == strlen(ev)) {
		st->i++;
		st->off = 0;
	}
	return (ssize_t)len;
}

static void stream_free(void *cls)
{
	free(cls);
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct req *r = cls;
	size_t n = strlen(r->query);

	(void)kind;
	snprintf(r->query + n, sizeof(r->query) - n, "%s%s=%s", n ? "&" : "", k, v ? v : "");
	return MHD_YES;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	struct srv *s = cls;
	struct conn *cn = *con_cls;
	struct reply rep = { .status = 404, .retry_after = -1 };
	struct MHD_Response *resp;
	const char *h;
	enum MHD_Result ret;

	(void)version;
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		snprintf(cn->r.method, sizeof(cn->r.method), "%s", method);
		snprintf(cn->r.url, sizeof(cn->r.url), "%s", url);
		MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &cn->r);
		h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		snprintf(cn->r.auth, sizeof(cn->r.auth), "%s", h ? h : "");
		h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		snprintf(cn->r.content_type, sizeof(cn->r.content_type), "%s", h ? h : "");
		*con_cls = cn;
		return MHD_YES;
	}
	if (*upload_size) {
		kbuf_append(&cn->r.body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->mu);
	if (s->calls < 64)
		snprintf(s->seen[s->calls], sizeof(s->seen[0]), "%s %s?%s", cn->r.method, cn->r.url,
			 cn->r.query);
	s->calls++;
	s->inflight++;
	if (s->inflight > s->max_inflight)
		s->max_inflight = s->inflight;
	kbuf_free(&s->last.body);
	s->last = cn->r;
	s->last.body = (struct kbuf){ 0 };
	if (cn->r.body.data)
		kbuf_puts(&s->last.body, cn->r.body.data);
	pthread_mutex_unlock(&s->mu);
	if (s->delay_ms)
		time_sleep_ms(s->delay_ms);

	if (s->token[0]) {
		char want[128];

		snprintf(want, sizeof(want), "Bearer %s", s->token);
		if (strcmp(cn->r.auth, want) != 0) {
			rep.status = 401;
			rep.body = strdup("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
					  "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
			goto send;
		}
	}
	pthread_mutex_lock(&s->mu);
	s->route(s, &cn->r, &rep);
	pthread_mutex_unlock(&s->mu);
send:
	if (rep.stream) {
		struct stream_state *st = calloc(1, sizeof(*st));

		pthread_mutex_lock(&s->mu);
		st->s = s;
		st->events = s->events;
		st->drop = s->drop;
		pthread_mutex_unlock(&s->mu);
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, stream_read, st,
							 stream_free);
	} else {
		const char *b = rep.body ? rep.body : "";

		resp = MHD_create_response_from_buffer(strlen(b), (void *)b, MHD_RESPMEM_MUST_COPY);
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	if (rep.retry_after >= 0) {
		char v[16];

		snprintf(v, sizeof(v), "%d", rep.retry_after);
		MHD_add_response_header(resp, "Retry-After", v);
	}
	ret = MHD_queue_response(c, (unsigned)rep.status, resp);
	MHD_destroy_response(resp);
	free(rep.body);
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	pthread_mutex_unlock(&s->mu);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode t)
{
	struct conn *cn = *con_cls;

	(void)cls, (void)c, (void)t;
	if (cn) {
		kbuf_free(&cn->r.body);
		free(cn);
		*con_cls = NULL;
	}
}

static void srv_start(struct srv *s, route_fn route)
{
	const union MHD_DaemonInfo *info;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->mu, NULL);
	s->route = route;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info->port;
}

static void srv_stop(struct srv *s)
{
	MHD_stop_daemon(s->d);
	kbuf_free(&s->last.body);
	pthread_mutex_destroy(&s->mu);
}

static struct kube_client *client_for(struct srv *s, const struct kube_client_opts *o,
				      struct kube_config *cfg)
{
	char url[64];
	struct kube_config local = { 0 };
	struct kube_client *c = NULL;
	struct kerr e;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s->port);
	if (!cfg)
		cfg = &local;
	cfg->server = url;
	assert_int_equal(kube_client_new(cfg, o, &c, &e), 0);
	cfg->server = NULL;
	return c;
}

static const struct kube_resource CM = { "", "v1", "ConfigMap", "configmaps", 1,
					 KUBE_VERB_GET | KUBE_VERB_LIST | KUBE_VERB_WATCH };
static const struct kube_resource NS = { "", "v1", "Namespace", "namespaces", 0, KUBE_VERB_GET };

static char *objf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *objf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

static const struct kube_client_opts FAST = { .qps = -1, .backoff_base_ms = 10,
					      .backoff_max_ms = 2000, .timeout_ms = 5000 };

/* ---- request shapes ------------------------------------------------------ */

static void route_echo(struct srv *s, const struct req *r, struct reply *out)
{
	(void)s;
	out->status = strcmp(r->method, "POST") == 0 ? 201 : 200;
	out->body = objf("{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\","
			 "\"namespace\":\"ns1\",\"resourceVersion\":\"5\"}}");
}

static void test_apply_sends_ssa_patch_with_manager_and_force(void **state)
{
	struct srv s;
	struct kube_client *c;
	cJSON *obj = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
				 "{\"name\":\"x\",\"namespace\":\"ns1\"},\"data\":{\"k\":\"v\"}}");
	struct kube_write_opts wo = { .force = 1 };
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	srv_start(&s, route_echo);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_apply(c, &CM, NULL, obj, &wo, &out, &e), 0);
	assert_string_equal(s.last.method, "PATCH");
	assert_string_equal(s.last.url, "/api/v1/namespaces/ns1/configmaps/x");
	assert_string_equal(s.last.content_type, "application/apply-patch+yaml");
	assert_string_equal(s.last.query, "fieldManager=kairn&force=true");
	assert_non_null(strstr(s.last.body.data, "\"data\":{\"k\":\"v\"}"));
	assert_string_equal(cJSON_GetObjectItem(out, "kind")->valuestring, "ConfigMap");
	cJSON_Delete(out);
	wo.dry_run = 1;
	wo.field_manager = "other";
	wo.force = 0;
	assert_int_equal(kube_apply(c, &CM, NULL, obj, &wo, NULL, &e), 0);
	assert_string_equal(s.last.query, "fieldManager=other&force=false&dryRun=All");
	cJSON_Delete(obj);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_delete_sends_propagation_and_preconditions(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_delete_opts d = { .propagation = KUBE_PROPAGATION_FOREGROUND,
				      .precondition_uid = "u-1" };
	struct kerr e;

	(void)state;
	srv_start(&s, route_echo);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_delete(c, &NS, "ignored", "gone", &d, &e), 0);
	assert_string_equal(s.last.method, "DELETE");
	assert_string_equal(s.last.url, "/api/v1/namespaces/gone");
	assert_string_equal(s.last.body.data, "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
					      "\"propagationPolicy\":\"Foreground\","
					      "\"preconditions\":{\"uid\":\"u-1\"}}");
	kube_client_free(c);
	srv_stop(&s);
}

static void test_namespaced_request_without_namespace_is_refused(void **state)
{
	struct srv s;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	srv_start(&s, route_echo);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_get(c, &CM, NULL, "x", &out, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "namespaced"));
	assert_int_equal(s.calls, 0);
	kube_client_free(c);
	srv_stop(&s);
}

static void route_pages(struct srv *s, const struct req *r, struct reply *out)
{
	const char *cont = strstr(r->query, "continue=");
	int page = cont ? atoi(cont + 9) : 0;

	(void)s;
	out->status = 200;
	out->body = objf("{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
			 "{\"resourceVersion\":\"77\"%s%s%s},\"items\":[{\"metadata\":{\"name\":\"p%d-a\"}},"
			 "{\"metadata\":{\"name\":\"p%d-b\"}}]}",
			 page < 2 ? ",\"continue\":\"" : "", page < 2 ? (page == 0 ? "1" : "2") : "",
			 page < 2 ? "\"" : "", page, page);
}

static void test_list_follows_continue_and_fills_kind(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_list_opts lo = { .label_selector = "app in (a,b)", .limit = 2 };
	cJSON *items = NULL;
	char *rv = NULL;
	struct kerr e;

	(void)state;
	srv_start(&s, route_pages);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_list(c, &CM, "ns1", &lo, &items, &rv, &e), 0);
	assert_int_equal(cJSON_GetArraySize(items), 6);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 5), "kind")->valuestring,
			    "ConfigMap");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "apiVersion")->valuestring,
			    "v1");
	assert_string_equal(rv, "77");
	assert_int_equal(s.calls, 3);
	assert_string_equal(s.seen[0], "GET /api/v1/namespaces/ns1/configmaps?limit=2&labelSelector=app in (a,b)");
	assert_string_equal(s.seen[2],
			    "GET /api/v1/namespaces/ns1/configmaps?limit=2&labelSelector=app in (a,b)&continue=2");
	cJSON_Delete(items);
	free(rv);
	kube_client_free(c);
	srv_stop(&s);
}

/* ---- retries ------------------------------------------------------------- */

static void route_429_once(struct srv *s, const struct req *r, struct reply *out)
{
	(void)r;
	if (s->counter++ == 0) {
		out->status = 429;
		out->retry_after = 1;
		out->body = objf("{\"kind\":\"Status\",\"reason\":\"TooManyRequests\",\"code\":429,"
				 "\"message\":\"slow down\"}");
		return;
	}
	route_echo(s, r, out);
}

static void test_429_waits_retry_after_then_succeeds(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_op op = { .kind = KUBE_OP_GET, .res = &CM, .namespace = "ns1", .name = "x" };
	int64_t t0;
	struct kerr e;

	(void)state;
	srv_start(&s, route_429_once);
	c = client_for(&s, &FAST, NULL);
	t0 = time_mono_ms();
	assert_int_equal(kube_run(c, &op, 1, &e), 0);
	assert_true(time_mono_ms() - t0 >= 1000);
	assert_int_equal(op.attempts, 2);
	assert_int_equal(s.calls, 2);
	kube_ops_clear(&op, 1);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_create_is_retried_after_429(void **state)
{
	struct srv s;
	struct kube_client *c;
	cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"x\"}}");
	struct kerr e;

	(void)state;
	srv_start(&s, route_429_once);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_create(c, &CM, "ns1", obj, NULL, NULL, &e), 0);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.last.method, "POST");
	cJSON_Delete(obj);
	kube_client_free(c);
	srv_stop(&s);
}

static void route_500_twice(struct srv *s, const struct req *r, struct reply *out)
{
	if (s->counter++ < 2) {
		out->status = 500;
		out->body = objf("{\"kind\":\"Status\",\"reason\":\"InternalError\",\"code\":500,"
				 "\"message\":\"boom\"}");
		return;
	}
	route_echo(s, r, out);
}

static void test_get_retries_500_and_succeeds(void **state)
{
	struct srv s;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	srv_start(&s, route_500_twice);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_get(c, &CM, "ns1", "x", &out, &e), 0);
	assert_int_equal(s.calls, 3);
	assert_non_null(out);
	cJSON_Delete(out);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_create_is_not_retried_after_500(void **state)
{
	struct srv s;
	struct kube_client *c;
	cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"x\"}}");
	struct kerr e;

	(void)state;
	srv_start(&s, route_500_twice);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_create(c, &CM, "ns1", obj, NULL, NULL, &e), KAIRN_EAPI);
	assert_int_equal(s.calls, 1);
	assert_string_equal(e.msg, "POST /api/v1/namespaces/ns1/configmaps: 500 InternalError: boom");
	cJSON_Delete(obj);
	kube_client_free(c);
	srv_stop(&s);
}

static void route_always_500(struct srv *s, const struct req *r, struct reply *out)
{
	s->counter = 0;
	route_500_twice(s, r, out);
}

static void test_final_error_names_request_and_attempts(void **state)
{
	struct srv s;
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	o.max_attempts = 3;
	srv_start(&s, route_always_500);
	c = client_for(&s, &o, NULL);
	assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), KAIRN_EAPI);
	assert_null(out);
	assert_int_equal(s.calls, 3);
	assert_string_equal(e.msg, "GET /api/v1/namespaces/x: 500 InternalError: boom (after 3 attempts)");
	kube_client_free(c);
	srv_stop(&s);
}

static void test_connection_refused_is_a_network_error(void **state)
{
	struct kube_config cfg = { .server = "http://127.0.0.1:1" };
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	o.max_attempts = 2;
	assert_int_equal(kube_client_new(&cfg, &o, &c, &e), 0);
	assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), KAIRN_ENET);
	assert_non_null(strstr(e.msg, "GET /api/v1/namespaces/x: network error"));
	assert_non_null(strstr(e.msg, "(after 2 attempts)"));
	kube_client_free(c);
}

/* ---- concurrency and rate ------------------------------------------------ */

static void test_batch_respects_concurrency_bound(void **state)
{
	struct srv s;
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	struct kube_op ops[24];
	struct kerr e;

	(void)state;
	o.concurrency = 4;
	srv_start(&s, route_echo);
	s.delay_ms = 30;
	c = client_for(&s, &o, NULL);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 24; i++)
		ops[i] = (struct kube_op){ .kind = KUBE_OP_GET, .res = &CM, .namespace = "ns1",
					   .name = "x" };
	assert_int_equal(kube_run(c, ops, 24, &e), 0);
	assert_int_equal(s.calls, 24);
	assert_true(s.max_inflight <= 4);
	assert_true(s.max_inflight >= 2); /* it did run in parallel */
	for (int i = 0; i < 24; i++)
		assert_non_null(ops[i].result);
	kube_ops_clear(ops, 24);
	kube_client_free(c);
	srv_stop(&s);
}

/* With one slot, each op starts as soon as the previous one ends: no idle
 * poll in between (that bug made every request cost a 1 s poll timeout, so
 * 30 requests took 30 s; the bound below is far from any normal run). */
static void test_batch_with_one_slot_does_not_idle_between_requests(void **state)
{
	struct srv s;
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	struct kube_op ops[30];
	int64_t t0;
	struct kerr e;

	(void)state;
	o.concurrency = 1;
	srv_start(&s, route_echo);
	c = client_for(&s, &o, NULL);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 30; i++)
		ops[i] = (struct kube_op){ .kind = KUBE_OP_GET, .res = &NS, .name = "x" };
	t0 = time_mono_ms();
	assert_int_equal(kube_run(c, ops, 30, &e), 0);
	assert_true(time_mono_ms() - t0 < 25000);
	assert_int_equal(s.max_inflight, 1);
	kube_ops_clear(ops, 30);
	kube_client_free(c);
	srv_stop(&s);
}

struct thread_arg {
	struct kube_client *c;
	int failures;
};

static void *thread_gets(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 10; i++) {
		cJSON *out = NULL;
		struct kerr e;

		if (kube_get(a->c, &CM, "ns1", "x", &out, &e))
			a->failures++;
		cJSON_Delete(out);
	}
	return NULL;
}

static void test_client_is_shared_by_threads_within_bound(void **state)
{
	struct srv s;
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	pthread_t t[6];
	struct thread_arg a[6];

	(void)state;
	o.concurrency = 3;
	srv_start(&s, route_echo);
	s.delay_ms = 5;
	c = client_for(&s, &o, NULL);
	for (int i = 0; i < 6; i++) {
		a[i] = (struct thread_arg){ .c = c };
		pthread_create(&t[i], NULL, thread_gets, &a[i]);
	}
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
	assert_int_equal(s.calls, 60);
	assert_true(s.max_inflight <= 3);
	kube_client_free(c);
	srv_stop(&s);
}

static void test_qps_limiter_spaces_requests(void **state)
{
	struct srv s;
	struct kube_client_opts o = FAST;
	struct kube_client *c;
	struct kube_op ops[6];
	int64_t t0, dt;
	struct kerr e;

	(void)state;
	o.qps = 20;
	o.burst = 1;
	srv_start(&s, route_echo);
	c = client_for(&s, &o, NULL);
	memset(ops, 0, sizeof(ops));
	for (int i = 0; i < 6; i++)
		ops[i] = (struct kube_op){ .kind = KUBE_OP_GET, .res = &NS, .name = "x" };
	t0 = time_mono_ms();
	assert_int_equal(kube_run(c, ops, 6, &e), 0);
	dt = time_mono_ms() - t0;
	/* 1 at once, then 5 more at 50 ms intervals */
	assert_true(dt >= 240);
	kube_ops_clear(ops, 6);
	kube_client_free(c);
	srv_stop(&s);
}

/* ---- discovery ----------------------------------------------------------- */

static void route_discovery(struct srv *s, const struct req *r, struct reply *out)
{
	if (strcmp(r->url, "/apis/example.com/v1") == 0) {
		s->counter++;
		out->status = 200;
		out->body = objf("{\"kind\":\"APIResourceList\",\"groupVersion\":\"example.com/v1\","
				 "\"resources\":[{\"name\":\"gadgets\",\"kind\":\"Gadget\",\"namespaced\":true,"
				 "\"verbs\":[\"get\",\"list\"]},{\"name\":\"gadgets/status\",\"kind\":\"Gadget\","
				 "\"namespaced\":true,\"verbs\":[\"get\"]}%s]}",
				 s->counter > 1 ? ",{\"name\":\"widgets\",\"kind\":\"Widget\","
						  "\"namespaced\":false,\"verbs\":[\"get\",\"list\",\"watch\",\"patch\"]}"
						: "");
		return;
	}
	out->status = 404;
	out->body = objf("{\"kind\":\"Status\",\"reason\":\"NotFound\",\"code\":404,\"message\":\"404 page not found\"}");
}

static void test_resolve_caches_and_refetches_on_miss(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_resource r;
	struct kerr e;

	(void)state;
	srv_start(&s, route_discovery);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_resolve(c, "example.com/v1", "Gadget", &r, &e), 0);
	assert_string_equal(r.resource, "gadgets");
	assert_string_equal(r.group, "example.com");
	assert_true(r.namespaced);
	assert_int_equal(kube_resolve(c, "example.com/v1", "Gadget", &r, &e), 0);
	assert_int_equal(s.calls, 1); /* cached */
	/* Widget appears on the second fetch (a CRD created meanwhile) */
	assert_int_equal(kube_resolve(c, "example.com/v1", "Widget", &r, &e), 0);
	assert_string_equal(r.resource, "widgets");
	assert_false(r.namespaced);
	assert_true(r.verbs & KUBE_VERB_WATCH);
	assert_int_equal(s.calls, 2);
	assert_int_equal(kube_resolve(c, "example.com/v1", "Nope", &r, &e), KAIRN_ENOTFOUND);
	assert_string_equal(e.msg, "no kind Nope in example.com/v1");
	assert_int_equal(kube_resolve(c, "other.io/v1", "Thing", &r, &e), KAIRN_ENOTFOUND);
	assert_non_null(strstr(e.msg, "does not serve other.io/v1"));
	kube_client_free(c);
	srv_stop(&s);
}

/* ---- credentials --------------------------------------------------------- */

static void test_token_file_reread_after_401(void **state)
{
	char dir[] = "/tmp/kairn-kube-XXXXXX", path[128];
	struct kube_config cfg = { 0 };
	struct srv s;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	assert_int_equal(fs_write_atomic(path, "old-token\n", 10, 0600, &e), 0);
	srv_start(&s, route_echo);
	snprintf(s.token, sizeof(s.token), "old-token");
	cfg.token_file = path;
	c = client_for(&s, &FAST, &cfg);
	assert_string_equal(kube_client_auth_method(c), "token-file");
	assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), 0);
	cJSON_Delete(out);
	assert_string_equal(s.last.auth, "Bearer old-token");
	/* the token rotates; the server accepts only the new one */
	assert_int_equal(fs_write_atomic(path, "new-token", 9, 0600, &e), 0);
	snprintf(s.token, sizeof(s.token), "new-token");
	assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), 0);
	cJSON_Delete(out);
	assert_string_equal(s.last.auth, "Bearer new-token");
	kube_client_free(c);
	srv_stop(&s);
	unlink(path);
	rmdir(dir);
}

static void test_wrong_token_gives_unauthorized(void **state)
{
	struct kube_config cfg = { .token = "wrong" };
	struct srv s;
	struct kube_client *c;
	cJSON *out = NULL;
	struct kerr e;

	(void)state;
	srv_start(&s, route_echo);
	snprintf(s.token, sizeof(s.token), "right");
	c = client_for(&s, &FAST, &cfg);
	assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), KAIRN_EAUTH);
	assert_string_equal(e.msg, "GET /api/v1/namespaces/x: 401 Unauthorized: Unauthorized");
	assert_null(strstr(e.msg, "wrong"));
	assert_int_equal(s.calls, 1);
	kube_client_free(c);
	srv_stop(&s);
}

/* Writes an exec plugin that counts its runs in dir/runs and prints a token
 * expiring at `expiry`. */
static void write_plugin(const char *dir, const char *api, const char *expiry, char *cmd, size_t len)
{
	char *script;
	struct kerr e;

	snprintf(cmd, len, "%s/plugin.sh", dir);
	script = objf("#!/bin/sh\necho run >> %s/runs\n"
		      "case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) ;; *) exit 3;; esac\n"
		      "[ \"$PLUGIN_ENV\" = yes ] || exit 4\n"
		      "echo '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":"
		      "{\"token\":\"exec-token\",\"expirationTimestamp\":\"%s\"}}'\n",
		      dir, api, expiry);
	assert_int_equal(fs_write_atomic(cmd, script, strlen(script), 0700, &e), 0);
	free(script);
}

static int count_runs(const char *dir)
{
	char path[128], *buf = NULL;
	size_t len = 0;
	int n = 0;

	snprintf(path, sizeof(path), "%s/runs", dir);
	if (fs_read_all(path, &buf, &len, NULL))
		return 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	free(buf);
	return n;
}

/* Runs three GETs with an exec plugin that prints plugin_api's credential
 * while the kubeconfig asks for config_api; checks the outcome and how many
 * times the plugin ran. */
static void exec_case(const char *plugin_api, const char *config_api, const char *expiry,
		      int want_rc, int want_runs)
{
	char dir[] = "/tmp/kairn-exec-XXXXXX", cmd[128], runs[160];
	struct kube_exec_config x = { 0 };
	char *env[] = { "PLUGIN_ENV=yes", NULL };
	struct kube_config cfg = { .exec = &x };
	struct srv s;
	struct kube_client *c;
	struct kerr e;

	assert_non_null(mkdtemp(dir));
	write_plugin(dir, plugin_api, expiry, cmd, sizeof(cmd));
	x.api_version = (char *)config_api;
	x.command = cmd;
	x.env = env;
	srv_start(&s, route_echo);
	snprintf(s.token, sizeof(s.token), "exec-token");
	c = client_for(&s, &FAST, &cfg);
	assert_string_equal(kube_client_auth_method(c), "exec");
	for (int i = 0; i < 3; i++) {
		cJSON *out = NULL;

		assert_int_equal(kube_get(c, &NS, NULL, "x", &out, &e), want_rc);
		cJSON_Delete(out);
	}
	if (want_rc) {
		assert_non_null(strstr(e.msg, "printed apiVersion"));
		assert_int_equal(s.calls, 0);
	}
	assert_int_equal(count_runs(dir), want_runs);
	kube_client_free(c);
	srv_stop(&s);
	snprintf(runs, sizeof(runs), "%s/runs", dir);
	unlink(runs);
	unlink(cmd);
	rmdir(dir);
}

#define V1 "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"

static void test_exec_plugin_token_cached_until_expiry(void **state)
{
	(void)state;
	exec_case(V1, V1, "2999-01-01T00:00:00Z", 0, 1);
	exec_case(V1BETA1, V1BETA1, "2999-01-01T00:00:00Z", 0, 1);
}

static void test_exec_plugin_rerun_when_expired(void **state)
{
	(void)state;
	exec_case(V1, V1, "2001-01-01T00:00:00Z", 0, 3);
}

static void test_exec_plugin_wrong_api_version_is_an_error(void **state)
{
	(void)state;
	/* no credential is cached, so every request runs the plugin again */
	exec_case(V1BETA1, V1, "2999-01-01T00:00:00Z", KAIRN_EPARSE, 3);
}

/* ---- watch --------------------------------------------------------------- */

static const char *STREAM1[] = {
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"11\"}}}\n",
	"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"12\"}}}\n",
	NULL,
};
static const char *STREAM2[] = {
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"13\"}}}\n",
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\","
	"\"message\":\"too old resource version: 13 (20)\"}}\n",
	NULL,
};
static const char *STREAM3[] = {
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"21\"}}}\n",
	NULL,
};

static void route_watch(struct srv *s, const struct req *r, struct reply *out)
{
	if (!strstr(r->query, "watch=true")) {
		s->counter++;
		out->status = 200;
		out->body = objf("{\"kind\":\"ConfigMapList\",\"apiVersion\":\"v1\",\"metadata\":"
				 "{\"resourceVersion\":\"%s\"},\"items\":[{\"metadata\":{\"name\":\"a\"}}]}",
				 s->counter == 1 ? "10" : "20");
		return;
	}
	out->status = 200;
	out->stream = 1;
	/* which stream: by the resourceVersion asked for */
	if (strstr(r->query, "resourceVersion=10")) {
		s->events = STREAM1;
		s->drop = 1; /* the connection breaks after the bookmark */
	} else if (strstr(r->query, "resourceVersion=12")) {
		s->events = STREAM2;
		s->drop = 0;
	} else {
		s->events = STREAM3;
		s->drop = 0;
	}
}

struct watch_log {
	char lines[16][64];
	int n;
};

static int on_watch(void *ud, enum kube_event_type t, const cJSON *obj)
{
	struct watch_log *l = ud;
	static const char *names[] = { "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "RELIST" };
	const cJSON *md = cJSON_GetObjectItem(obj, "metadata");
	const cJSON *rv = md ? cJSON_GetObjectItem(md, "resourceVersion") : NULL;

	if (t == KUBE_EVENT_RELIST)
		snprintf(l->lines[l->n], sizeof(l->lines[0]), "RELIST %d", cJSON_GetArraySize(obj));
	else
		snprintf(l->lines[l->n], sizeof(l->lines[0]), "%s %s", names[t],
			 rv ? rv->valuestring : "?");
	l->n++;
	return t == KUBE_EVENT_DELETED; /* stop at the end of the script */
}

static void test_watch_resumes_after_drop_and_relists_on_410(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct watch_log l = { 0 };
	struct kube_watch_opts wo = { .duration_ms = 10000 };
	struct kerr e;

	(void)state;
	srv_start(&s, route_watch);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_watch(c, &CM, "ns1", &wo, on_watch, &l, &e), 0);
	assert_int_equal(l.n, 6);
	assert_string_equal(l.lines[0], "RELIST 1");
	assert_string_equal(l.lines[1], "ADDED 11");
	assert_string_equal(l.lines[2], "BOOKMARK 12");
	assert_string_equal(l.lines[3], "MODIFIED 13");
	assert_string_equal(l.lines[4], "RELIST 1");
	assert_string_equal(l.lines[5], "DELETED 21");
	/* list, watch@10 (dropped), watch@12 (410), list, watch@20 */
	assert_int_equal(s.calls, 5);
	assert_non_null(strstr(s.seen[1], "allowWatchBookmarks=true"));
	assert_non_null(strstr(s.seen[2], "resourceVersion=12"));
	assert_non_null(strstr(s.seen[4], "resourceVersion=20"));
	kube_client_free(c);
	srv_stop(&s);
}

static int never_stop(void *ud, enum kube_event_type t, const cJSON *obj)
{
	(void)ud, (void)t, (void)obj;
	return 0;
}

static void test_watch_stops_at_duration(void **state)
{
	struct srv s;
	struct kube_client *c;
	struct kube_watch_opts wo = { .duration_ms = 600, .resource_version = "99" };
	struct kerr e;

	(void)state;
	srv_start(&s, route_watch);
	c = client_for(&s, &FAST, NULL);
	assert_int_equal(kube_watch(c, &CM, "ns1", &wo, never_stop, NULL, &e), 0);
	assert_non_null(strstr(s.seen[0], "resourceVersion=99")); /* no LIST first */
	kube_client_free(c);
	srv_stop(&s);
}

static void *set_stop_later(void *p)
{
	time_sleep_ms(300);
	atomic_store((atomic_int *)p, 1);
	return NULL;
}

static void test_watch_stops_when_flag_set_from_another_thread(void **state)
{
	struct srv s;
	struct kube_client *c;
	atomic_int stop = 0;
	struct kube_watch_opts wo = { .resource_version = "99", .stop = &stop };
	pthread_t t;
	int64_t t0;
	struct kerr e;

	(void)state;
	srv_start(&s, route_watch);
	c = client_for(&s, &FAST, NULL);
	t0 = time_mono_ms();
	pthread_create(&t, NULL, set_stop_later, &stop);
	assert_int_equal(kube_watch(c, &CM, "ns1", &wo, never_stop, NULL, &e), 0);
	pthread_join(t, NULL);
	assert_true(time_mono_ms() - t0 >= 300);
	kube_client_free(c);
	srv_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_sends_ssa_patch_with_manager_and_force),
		cmocka_unit_test(test_delete_sends_propagation_and_preconditions),
		cmocka_unit_test(test_namespaced_request_without_namespace_is_refused),
		cmocka_unit_test(test_list_follows_continue_and_fills_kind),
		cmocka_unit_test(test_429_waits_retry_after_then_succeeds),
		cmocka_unit_test(test_create_is_retried_after_429),
		cmocka_unit_test(test_get_retries_500_and_succeeds),
		cmocka_unit_test(test_create_is_not_retried_after_500),
		cmocka_unit_test(test_final_error_names_request_and_attempts),
		cmocka_unit_test(test_connection_refused_is_a_network_error),
		cmocka_unit_test(test_batch_respects_concurrency_bound),
		cmocka_unit_test(test_batch_with_one_slot_does_not_idle_between_requests),
		cmocka_unit_test(test_client_is_shared_by_threads_within_bound),
		cmocka_unit_test(test_qps_limiter_spaces_requests),
		cmocka_unit_test(test_resolve_caches_and_refetches_on_miss),
		cmocka_unit_test(test_token_file_reread_after_401),
		cmocka_unit_test(test_wrong_token_gives_unauthorized),
		cmocka_unit_test(test_exec_plugin_token_cached_until_expiry),
		cmocka_unit_test(test_exec_plugin_rerun_when_expired),
		cmocka_unit_test(test_exec_plugin_wrong_api_version_is_an_error),
		cmocka_unit_test(test_watch_resumes_after_drop_and_relists_on_410),
		cmocka_unit_test(test_watch_stops_at_duration),
		cmocka_unit_test(test_watch_stops_when_flag_set_from_another_thread),
	};
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
