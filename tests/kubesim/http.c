/*
 * http.c — kubesim's libmicrohttpd side: the daemon (a thread per connection,
 * so a watch stream may block in its reader), request bodies, bearer-token
 * auth, the order of dispatch (test endpoints, auth, faults, latency, health,
 * discovery, resources) and turning a struct ks_resp into a response.
 * Never interprets Kubernetes objects.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "util/log.h"
#include "util/timeutil.h"

#define KS_MAX_BODY (64u << 20)

struct conn_state {
	struct ks_req req;
	struct kbuf body;
	int too_large;
};

const char *ks_q(const struct ks_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *ks_hdr(const struct ks_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

static int authorized(struct ks_server *s, struct ks_req *r)
{
	if (!s->opt.token)
		return 1;
	const char *h = ks_hdr(r, "Authorization");
	return h && !strncmp(h, "Bearer ", 7) && !strcmp(h + 7, s->opt.token);
}

static int is_health(const char *url)
{
	return !strcmp(url, "/livez") || !strcmp(url, "/readyz") || !strcmp(url, "/healthz") ||
	       !strncmp(url, "/livez/", 7) || !strncmp(url, "/readyz/", 8) || !strncmp(url, "/healthz/", 9);
}

static void dispatch(struct ks_server *s, struct ks_req *r, struct ks_resp *o)
{
	if (!strncmp(r->url, "/kubesim/", 9) || !strcmp(r->url, "/kubesim")) {
		if (!ks_handle_test(r, o))
			ks_resp_status(o, 404, "NotFound", NULL, NULL, "no test endpoint %s", r->url);
		return;
	}
	r->verb = "get";
	snprintf(r->counted_resource, sizeof(r->counted_resource), "%s", "nonresource");
	if (!is_health(r->url) && !authorized(s, r)) {
		ks_resp_status(o, 401, "Unauthorized", NULL, NULL, "Unauthorized");
		return;
	}
	if (ks_fault_apply(s, r, o))
		return;
	if (s->opt.latency_ms > 0)
		time_sleep_ms(s->opt.latency_ms);
	if (is_health(r->url)) {
		ks_resp_json(o, 200, strdup("ok"));
		o->ctype = "text/plain; charset=utf-8";
		return;
	}
	if (ks_handle_discovery(r, o))
		return;
	if (ks_handle_resource(r, o))
		return;
	ks_resp_status(o, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct ks_resp *o = cls;
	ssize_t n = o->stream(o->stream_cls, buf, max);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_done(void *cls)
{
	struct ks_resp *o = cls;
	if (o->stream_free)
		o->stream_free(o->stream_cls);
	free(o);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct ks_resp *o)
{
	struct MHD_Response *resp;
	struct ks_resp *heap = NULL;
	if (o->stream) {
		heap = malloc(sizeof(*heap));
		if (!heap)
			return MHD_NO;
		*heap = *o;
		memset(&heap->warnings, 0, sizeof(heap->warnings));
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, heap, stream_done);
		if (!resp) {
			stream_done(heap);
			return MHD_NO;
		}
	} else {
		resp = MHD_create_response_from_buffer(o->len, o->body ? o->body : (void *)"", o->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		o->body = NULL;
	}
	MHD_add_response_header(resp, "Content-Type", o->ctype ? o->ctype : "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	if (o->retry_after > 0) {
		char ra[32];
		snprintf(ra, sizeof(ra), "%ld", o->retry_after);
		MHD_add_response_header(resp, "Retry-After", ra);
	}
	if (o->warnings.len) {
		char *save = NULL, *w = o->warnings.data;
		for (char *t = strtok_r(w, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
			MHD_add_response_header(resp, "Warning", t);
	}
	enum MHD_Result rc = MHD_queue_response(conn, (unsigned)o->code, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct ks_server *s = cls;
	struct conn_state *cs = *con_cls;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		cs->req.s = s;
		cs->req.conn = conn;
		cs->req.method = method;
		cs->req.url = url;
		*con_cls = cs;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (cs->body.len + *upload_data_size > KS_MAX_BODY)
			cs->too_large = 1;
		else if (kbuf_append(&cs->body, upload_data, *upload_data_size) != 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct ks_resp o = { .code = 500 };
	struct ks_req *r = &cs->req;
	if (kbuf_reserve(&cs->body, 1) != 0)
		return MHD_NO;
	cs->body.data[cs->body.len] = 0;
	r->body = cs->body.data;
	r->body_len = cs->body.len;
	if (cs->too_large)
		ks_resp_status(&o, 413, "RequestEntityTooLarge", NULL, NULL, "the request body is too large");
	else
		dispatch(s, r, &o);
	if (r->verb)
		ks_count(s, r->verb, r->counted_resource);
	enum MHD_Result rc = MHD_NO;
	if (!o.drop)
		rc = send_resp(conn, &o);
	else if (o.stream_free)
		o.stream_free(o.stream_cls);
	free(o.body);
	kbuf_free(&o.warnings);
	return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;
	if (!cs)
		return;
	free(cs->req.group);
	free(cs->req.version);
	free(cs->req.resource);
	free(cs->req.ns);
	free(cs->req.name);
	free(cs->req.sub);
	kbuf_free(&cs->body);
	free(cs);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct ks_server *s = cls;
	if (s->opt.quiet)
		return;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_debug("kubesim http: %s", msg);
}

int ks_server_start(struct ks_server *s, struct kerr *e)
{
	char host[256] = "127.0.0.1";
	int port = 0;
	const char *colon = s->opt.listen ? strrchr(s->opt.listen, ':') : NULL;
	if (colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s->opt.listen), s->opt.listen);
		port = atoi(colon + 1);
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return kerr_set(e, KAIRN_EINVAL, "--listen %s: not an IPv4 address:port", s->opt.listen);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (s->opt.tls) {
		int rc = ks_tls_generate(host, &s->ca_pem, &s->cert_pem, &s->key_pem, e);
		if (rc)
			return rc;
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, s->key_pem },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert_pem },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),
				     MHD_OPTION_ARRAY, s->opt.tls ? tls_opts : none,
				     MHD_OPTION_END);
	if (!s->daemon)
		return kerr_set(e, KAIRN_ENET, "cannot listen on %s", s->opt.listen ? s->opt.listen : "?");
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : port;
	return 0;
}

void ks_server_stop(struct ks_server *s)
{
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_broadcast(&s->changed);
	pthread_mutex_unlock(&s->mu);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
