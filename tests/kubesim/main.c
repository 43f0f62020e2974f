/*
 * main.c — the kubesim command: parse flags, start the server, write the
 * kubeconfig and port file, serve until SIGINT/SIGTERM.
 *   kubesim --listen 127.0.0.1:0 --port-file F --kubeconfig-out K [--tls]
 *           [--token T] [--latency-ms N] [--job-duration-ms N]
 *           [--event-history N] [--quiet]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "server.h"
#include "util/log.h"

static const char USAGE[] =
	"Usage: kubesim --listen ADDR:PORT [--port-file F] [--kubeconfig-out K] [--tls] [--token T]\n"
	"               [--latency-ms N] [--job-duration-ms N] [--event-history N] [--quiet]\n"
	"An in-memory Kubernetes API server for tests. A token implies --tls.\n";

static int parse_long(const char *s, long *out)
{
	char *end = NULL;
	long v = s ? strtol(s, &end, 10) : 0;
	if (!s || !*s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct ks_options opt = { .listen = "127.0.0.1:0", .job_duration_ms = 200, .event_history = 10000 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int used = 1;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(USAGE, stdout);
			return 0;
		} else if (!strcmp(a, "--tls")) {
			opt.tls = 1;
			used = 0;
		} else if (!strcmp(a, "--quiet")) {
			opt.quiet = 1;
			used = 0;
		} else if (!v) {
			fprintf(stderr, "kubesim: %s needs a value\n%s", a, USAGE);
			return 2;
		} else if (!strcmp(a, "--listen")) {
			opt.listen = v;
		} else if (!strcmp(a, "--port-file")) {
			opt.port_file = v;
		} else if (!strcmp(a, "--kubeconfig-out")) {
			opt.kubeconfig_out = v;
		} else if (!strcmp(a, "--token")) {
			opt.token = v;
		} else if (!strcmp(a, "--latency-ms") && !parse_long(v, &opt.latency_ms)) {
		} else if (!strcmp(a, "--job-duration-ms") && !parse_long(v, &opt.job_duration_ms)) {
		} else if (!strcmp(a, "--event-history") && !parse_long(v, &opt.event_history)) {
		} else {
			fprintf(stderr, "kubesim: bad argument %s %s\n%s", a, v, USAGE);
			return 2;
		}
		i += used;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits the mask */
	signal(SIGPIPE, SIG_IGN);
	struct kerr e;
	kerr_clear(&e);
	struct ks_server *s = NULL;
	int rc = ks_server_create(&opt, &s, &e);
	if (!rc)
		rc = ks_server_write_files(s, &e);
	if (rc) {
		fprintf(stderr, "kubesim: %s\n", e.msg);
		ks_server_destroy(s);
		return 1;
	}
	if (!opt.quiet)
		fprintf(stderr, "kubesim: serving %s://127.0.0.1:%d\n", opt.tls || opt.token ? "https" : "http",
			ks_server_port(s));
	int sig = 0;
	sigwait(&set, &sig);
	ks_server_destroy(s);
	return 0;
}
