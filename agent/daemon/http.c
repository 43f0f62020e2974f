/*
 * http.c — see http.h. One MHD daemon with its own internal polling thread;
 * request bodies are accumulated per connection up to HTTP_MAX_BODY.
 */
#include "http.h"
#include "daemon/webhook.h"
#include "util/buf.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct daemon_http {
	struct MHD_Daemon *mhd;
	struct daemon_http_opts o;
	char *secret;
	uint16_t port;
};

struct conn_state {
	struct kbuf body;
	int too_large;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								  MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned code, const char *msg)
{
	return reply(c, code, "text/plain; charset=utf-8", msg, strlen(msg));
}

static enum MHD_Result handle_webhook(struct daemon_http *h, struct MHD_Connection *c,
				      struct conn_state *st)
{
	struct webhook_request r = {
		.github_signature = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Hub-Signature-256"),
		.gitlab_token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Gitlab-Token"),
		.body = st->body.data ? st->body.data : "",
		.body_len = st->body.len,
	};
	struct kerr e;
	char ref[512];

	if (st->too_large)
		return text(c, MHD_HTTP_CONTENT_TOO_LARGE, "payload too large\n");
	if (webhook_verify(h->secret, &r, &e)) {
		log_warn("webhook: %s", e.msg);
		return text(c, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	}
	if (webhook_push_ref(r.body, r.body_len, ref, sizeof(ref), &e) == 0) {
		log_info("webhook: push to %s", ref);
		if (h->o.on_push)
			h->o.on_push(ref, h->o.ctx);
		return text(c, MHD_HTTP_ACCEPTED, "sync triggered\n");
	}
	return text(c, MHD_HTTP_OK, "ignored (no ref)\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct daemon_http *h = cls;
	struct conn_state *st = *con_cls;
	int is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	(void)version;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size) {
		if (st->body.len + *upload_size > HTTP_MAX_BODY)
			st->too_large = 1;
		else if (kbuf_append(&st->body, upload, *upload_size))
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0)
		return is_get ? text(c, MHD_HTTP_OK, "ok\n") : text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (strcmp(url, "/readyz") == 0) {
		if (!is_get)
			return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		if (h->o.ready && !h->o.ready(h->o.ctx))
			return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: first sync not done\n");
		return text(c, MHD_HTTP_OK, "ok\n");
	}
	if (strcmp(url, "/metrics") == 0) {
		struct kbuf out = { 0 };
		enum MHD_Result rc;

		if (!is_get)
			return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		if (h->o.metrics && metrics_render(h->o.metrics, &out)) {
			kbuf_free(&out);
			return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		}
		rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			   out.data ? out.data : "", out.len);
		kbuf_free(&out);
		return rc;
	}
	if (strcmp(url, "/webhook") == 0) {
		if (strcmp(method, "POST") != 0)
			return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		return handle_webhook(h, c, st);
	}
	return text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *st = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (st) {
		kbuf_free(&st->body);
		free(st);
		*con_cls = NULL;
	}
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct kerr *e)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	long port;
	char *end;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return kerr_set(e, KAIRN_EINVAL, "listen address \"%s\" is not HOST:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return kerr_set(e, KAIRN_EINVAL, "listen address \"%s\": bad port", listen);
	sa->sin_port = htons((uint16_t)port);
	if (!*host || strcmp(host, "0.0.0.0") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (strcmp(host, "localhost") == 0)
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return kerr_set(e, KAIRN_EINVAL, "listen address \"%s\": bad IPv4 host", listen);
	return 0;
}

int daemon_http_start(const struct daemon_http_opts *o, struct daemon_http **out, struct kerr *e)
{
	struct daemon_http *h;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	int rc;

	*out = NULL;
	if ((rc = parse_listen(o->listen, &sa, e)))
		return rc;
	h = calloc(1, sizeof(*h));
	if (!h)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	h->o = *o;
	if (o->webhook_secret && !(h->secret = strdup(o->webhook_secret))) {
		free(h);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	h->o.webhook_secret = NULL;
	h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)128, MHD_OPTION_END);
	if (!h->mhd) {
		free(h->secret);
		free(h);
		return kerr_set(e, KAIRN_EIO, "cannot listen on %s (address in use?)", o->listen);
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : ntohs(sa.sin_port);
	*out = h;
	return 0;
}

uint16_t daemon_http_port(const struct daemon_http *h)
{
	return h->port;
}

void daemon_http_stop(struct daemon_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);
	free(h->secret);
	free(h);
}
