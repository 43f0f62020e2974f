/*
 * git_http_server.c — a test-only HTTP server that hosts `git http-backend`
 * (CGI) on 127.0.0.1 and demands Basic credentials, like a Git forge taking a
 * token as the password.
 *
 *   git_http_server --root DIR --port-file F [--user U] --password P
 *                   [--tls-cert PEM --tls-key PEM]
 *
 * Binds a free port, writes it to F (atomically) once it listens, serves
 * until SIGTERM/SIGINT. Requests without valid credentials get 401 with a
 * WWW-Authenticate challenge; --user '*' accepts any user name (token-style).
 * Each request body is buffered in a temp file and fed to the CGI; the CGI's
 * whole output is buffered too — fine for test repositories, not a server.
 * It must never listen beyond loopback.
 */
#include "util/buf.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct server {
	const char *root, *user, *password;
};

struct request {
	FILE *body; /* tmpfile() holding the uploaded body */
	size_t len;
};

static int authorised(const struct server *srv, struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	unsigned char *dec;
	size_t n;
	char *colon;
	int ok = 0;

	if (!h || strncmp(h, "Basic ", 6) != 0)
		return 0;
	dec = b64_decode(h + 6, &n);
	if (!dec)
		return 0;
	colon = strchr((char *)dec, ':');
	if (colon) {
		*colon = '\0';
		ok = (strcmp(srv->user, "*") == 0 || strcmp((char *)dec, srv->user) == 0) &&
		     strcmp(colon + 1, srv->password) == 0;
	}
	free(dec);
	return ok;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *text, int challenge)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (challenge)
		MHD_add_response_header(r, "WWW-Authenticate", "Basic realm=\"git\"");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* Runs git http-backend with the CGI environment; fills *out with its output. */
static int run_cgi(const struct server *srv, struct MHD_Connection *c, const char *method,
		   const char *url, const char *query, struct request *rq, struct kbuf *out)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Git-Protocol");
	char e_root[4096], e_path[4096], e_method[32], e_ct[256], e_len[64], e_qs[4096],
	     e_proto[256];
	char *envp[] = { e_root, e_path, e_method, e_ct, e_len, e_qs, e_proto,
			 "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=test", "REMOTE_ADDR=127.0.0.1",
			 "PATH=/usr/bin:/bin", NULL };
	char *argv[] = { "git", "http-backend", NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2], status = 0, rc = -1;
	pid_t pid;
	char chunk[65536];
	ssize_t n;

	snprintf(e_root, sizeof(e_root), "GIT_PROJECT_ROOT=%s", srv->root);
	snprintf(e_path, sizeof(e_path), "PATH_INFO=%s", url);
	snprintf(e_method, sizeof(e_method), "REQUEST_METHOD=%s", method);
	snprintf(e_ct, sizeof(e_ct), "CONTENT_TYPE=%s", ct ? ct : "");
	snprintf(e_len, sizeof(e_len), "CONTENT_LENGTH=%zu", rq->len);
	snprintf(e_qs, sizeof(e_qs), "QUERY_STRING=%s", query);
	snprintf(e_proto, sizeof(e_proto), "GIT_PROTOCOL=%s", proto ? proto : "");
	if (pipe(pipefd) != 0)
		return -1;
	fflush(rq->body);
	rewind(rq->body);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fileno(rq->body), 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	if (posix_spawnp(&pid, "git", &fa, NULL, argv, envp) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	while ((n = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || kbuf_append(out, chunk, (size_t)n))
			break;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	return rc;
}

/* Turns CGI output (headers, blank line, body) into an HTTP response. */
static enum MHD_Result send_cgi_output(struct MHD_Connection *c, struct kbuf *out)
{
	char *p = out->data ? out->data : "", *end = p + out->len, *body;
	unsigned code = 200;
	struct MHD_Response *r;
	enum MHD_Result ret;

	body = strstr(p, "\r\n\r\n");
	if (!body)
		return reply(c, 502, "bad CGI output\n", 0);
	*body = '\0';
	body += 4;
	r = MHD_create_response_from_buffer((size_t)(end - body), body, MHD_RESPMEM_MUST_COPY);
	for (char *save = NULL, *l = strtok_r(p, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
		char *colon = strchr(l, ':');

		if (!colon)
			continue;
		*colon = '\0';
		colon += 1 + strspn(colon + 1, " ");
		if (strcasecmp(l, "Status") == 0)
			code = (unsigned)atoi(colon);
		else
			MHD_add_response_header(r, l, colon);
	}
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	const struct server *srv = cls;
	struct request *rq = *con_cls;
	struct kbuf out = { 0 }, query = { 0 };
	enum MHD_Result ret;
	const char *q;

	(void)version;
	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq || !(rq->body = tmpfile())) {
			free(rq);
			return MHD_NO;
		}
		*con_cls = rq;
		return MHD_YES;
	}
	if (*data_size) {
		fwrite(data, 1, *data_size, rq->body);
		rq->len += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	if (!authorised(srv, c))
		return reply(c, 401, "authentication required\n", 1);
	/* MHD parsed the query; git only ever sends "service". */
	q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "service");
	kbuf_printf(&query, "%s%s", q ? "service=" : "", q ? q : "");
	if (run_cgi(srv, c, method, url, query.data ? query.data : "", rq, &out) != 0 && out.len == 0)
		ret = reply(c, 500, "git http-backend failed\n", 0);
	else
		ret = send_cgi_output(c, &out);
	kbuf_free(&out);
	kbuf_free(&query);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		fclose(rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "root", required_argument, NULL, 'r' },
					      { "port-file", required_argument, NULL, 'p' },
					      { "user", required_argument, NULL, 'u' },
					      { "password", required_argument, NULL, 'w' },
					      { "tls-cert", required_argument, NULL, 'c' },
					      { "tls-key", required_argument, NULL, 'k' },
					      { 0 } };
	struct server srv = { .user = "*" };
	const char *port_file = NULL, *cert_file = NULL, *key_file = NULL;
	char *cert = NULL, *key = NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct kerr e = { 0 };
	char port[16];
	sigset_t set;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': srv.root = optarg; break;
		case 'p': port_file = optarg; break;
		case 'u': srv.user = optarg; break;
		case 'w': srv.password = optarg; break;
		case 'c': cert_file = optarg; break;
		case 'k': key_file = optarg; break;
		default: return 2;
		}
	}
	if (!srv.root || !port_file || !srv.password) {
		fprintf(stderr, "usage: git_http_server --root DIR --port-file F [--user U] --password P\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (cert_file && key_file) {
		if (fs_read_all(cert_file, &cert, NULL, &e) || fs_read_all(key_file, &key, NULL, &e)) {
			fprintf(stderr, "git_http_server: %s\n", e.msg);
			return 1;
		}
		flags |= MHD_USE_TLS;
	}
	/* Without TLS the option list ends before the two HTTPS options. */
	d = MHD_start_daemon(flags, 0, NULL, NULL, handle, &srv, MHD_OPTION_SOCK_ADDR, &a,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
			     MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "git_http_server: cannot start\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(port, sizeof(port), "%u\n", info ? info->port : 0);
	if (fs_write_atomic(port_file, port, strlen(port), 0644, &e)) {
		fprintf(stderr, "git_http_server: %s\n", e.msg);
		MHD_stop_daemon(d);
		return 1;
	}
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	free(cert);
	free(key);
	return 0;
}
