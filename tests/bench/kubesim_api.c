/*
 * kubesim_api.c — kubesim benchmark: starts the kubesim binary (argv[1] or
 * $KUBESIM_BIN) on a free port, fills it with 10,000 ConfigMaps, then prints
 * GET/s and SSA PATCH/s from 16 parallel keep-alive clients, the latency of a
 * LIST of all 10,000 objects, and the server's RSS.
 * Targets: >= 5,000 GET/s, LIST 10k < 150 ms, RSS < 300 MB.
 * Usage: bench_kubesim_api [KUBESIM_BIN] [--tls]
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/timeutil.h"

#define CLIENTS 16
#define OBJECTS 10000
#define RUN_MS 3000

static char base[128];
static int use_tls;

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return s * n;
}

static CURL *handle(void)
{
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	return c;
}

static long do_req(CURL *c, const char *method, const char *path, const char *ctype, const char *body)
{
	char url[512], ct[128];
	struct curl_slist *h = NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	long code = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	return code;
}

enum mode { M_CREATE, M_GET, M_SSA };

struct worker {
	int id;
	enum mode mode;
	long ops, errors;
	int64_t until;
};

static void cm_body(char *body, size_t n, int i, const char *value)
{
	snprintf(body, n,
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%05d\",\"namespace\":\"bench\","
		 "\"labels\":{\"app\":\"bench\",\"shard\":\"s%d\"}},\"data\":{\"key\":\"%s\",\"payload\":\"%0200d\"}}",
		 i, i % 16, value, i);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	CURL *c = handle();
	char path[256], body[1024];
	unsigned seed = (unsigned)w->id * 2654435761u;
	if (w->mode == M_CREATE) {
		for (int i = w->id; i < OBJECTS; i += CLIENTS) {
			cm_body(body, sizeof(body), i, "v0");
			if (do_req(c, "POST", "/api/v1/namespaces/bench/configmaps", "application/json", body) != 201)
				w->errors++;
			w->ops++;
		}
	} else {
		while (time_mono_ms() < w->until) {
			int i = (int)(rand_r(&seed) % OBJECTS);
			snprintf(path, sizeof(path), "/api/v1/namespaces/bench/configmaps/cm-%05d%s", i,
				 w->mode == M_SSA ? "?fieldManager=bench&force=true" : "");
			long code;
			if (w->mode == M_GET) {
				code = do_req(c, "GET", path, NULL, NULL);
			} else {
				char v[32];
				snprintf(v, sizeof(v), "v%ld", w->ops);
				cm_body(body, sizeof(body), i, v);
				code = do_req(c, "PATCH", path, "application/apply-patch+yaml", body);
			}
			if (code != 200)
				w->errors++;
			w->ops++;
		}
	}
	curl_easy_cleanup(c);
	return NULL;
}

static double run(enum mode mode, long *errors)
{
	pthread_t th[CLIENTS];
	struct worker w[CLIENTS];
	int64_t t0 = time_mono_ms();
	for (int i = 0; i < CLIENTS; i++) {
		w[i] = (struct worker){ .id = i, .mode = mode, .until = t0 + RUN_MS };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	long ops = 0;
	*errors = 0;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(th[i], NULL);
		ops += w[i].ops;
		*errors += w[i].errors;
	}
	int64_t ms = time_mono_ms() - t0;
	return ms > 0 ? (double)ops * 1000.0 / (double)ms : 0;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const char *bin = getenv("KUBESIM_BIN");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tls"))
			use_tls = 1;
		else
			bin = argv[i];
	}
	if (!bin) {
		fprintf(stderr, "usage: %s KUBESIM_BIN [--tls] (or set KUBESIM_BIN)\n", argv[0]);
		return 2;
	}
	char dir[] = "/tmp/kubesim-bench-XXXXXX", portfile[128];
	if (!mkdtemp(dir))
		return 1;
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	pid_t pid = fork();
	if (pid == 0) {
		execl(bin, bin, "--listen", "127.0.0.1:0", "--port-file", portfile, "--quiet", "--event-history", "20000",
		      use_tls ? "--tls" : NULL, (char *)NULL);
		_exit(127);
	}
	int port = 0;
	for (int i = 0; i < 200 && !port; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			time_sleep_ms(25);
	}
	int rc = 1;
	if (!port) {
		fprintf(stderr, "kubesim did not start\n");
		goto out;
	}
	snprintf(base, sizeof(base), "%s://127.0.0.1:%d", use_tls ? "https" : "http", port);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *c = handle();
	do_req(c, "POST", "/api/v1/namespaces", "application/json",
	       "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"bench\"}}");
	long errs;
	int64_t t0 = time_mono_ms();
	run(M_CREATE, &errs);
	printf("create %d ConfigMaps: %lld ms (%ld errors)\n", OBJECTS, (long long)(time_mono_ms() - t0), errs);
	double gets = run(M_GET, &errs);
	printf("GET/s (%d clients): %.0f (%ld errors)  target >= 5000\n", CLIENTS, gets, errs);
	double ssa = run(M_SSA, &errs);
	printf("SSA PATCH/s (%d clients): %.0f (%ld errors)\n", CLIENTS, ssa, errs);
	int64_t best = -1;
	for (int i = 0; i < 5; i++) {
		int64_t t = time_mono_ms();
		long code = do_req(c, "GET", "/api/v1/namespaces/bench/configmaps", NULL, NULL);
		int64_t ms = time_mono_ms() - t;
		if (code == 200 && (best < 0 || ms < best))
			best = ms;
	}
	printf("LIST %d objects: %lld ms (best of 5)  target < 150\n", OBJECTS, (long long)best);
	long kb = rss_kb(pid);
	printf("RSS with %d objects: %.1f MB  target < 300\n", OBJECTS, (double)kb / 1024.0);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	rc = 0;
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(portfile);
	rmdir(dir);
	return rc;
}
