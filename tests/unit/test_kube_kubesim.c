/*
 * test_kube_kubesim.c — agent/kube against kubesim over HTTPS with a token
 * (KUBESIM_BIN from ctest's environment; skipped without it): CRUD through
 * discovery, retries of injected 429 (Retry-After) and 500 faults, a watch
 * that survives a dropped connection and a 410 Gone, LIST pages handed to a
 * callback one by one, and an apply sent as JSON text whose answer is not
 * kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/kube.h"
#include "util/fsutil.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

extern char **environ;

struct sim {
	pid_t pid;
	char dir[64];
	struct kube_client *c;
};

static int sim_start(void **state)
{
	const char *bin = getenv("KUBESIM_BIN");
	struct sim *s = calloc(1, sizeof(*s));
	char port[128], kc[128];
	char *argv[] = { (char *)bin, "--listen", "127.0.0.1:0", "--port-file", port,
			 "--kubeconfig-out", kc, "--tls", "--token", "sim-token",
			 "--event-history", "4", "--quiet", NULL };
	struct kube_config_opts o = { 0 };
	struct kube_config *cfg = NULL;
	struct kube_client_opts co = { .qps = -1, .backoff_base_ms = 20, .timeout_ms = 10000 };
	struct kerr e;
	struct stat st;

	*state = s;
	if (!bin || !bin[0])
		return 0; /* every test skips */
	strcpy(s->dir, "/tmp/kairn-ks-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	snprintf(port, sizeof(port), "%s/port", s->dir);
	snprintf(kc, sizeof(kc), "%s/kubeconfig", s->dir);
	if (posix_spawn(&s->pid, bin, NULL, NULL, argv, environ))
		return -1;
	for (int i = 0; i < 200 && (stat(kc, &st) || st.st_size == 0); i++)
		time_sleep_ms(50);
	o.kubeconfig = kc;
	if (kube_config_load(&o, &cfg, &e) || kube_client_new(cfg, &co, &s->c, &e)) {
		fprintf(stderr, "kubesim setup: %s\n", e.msg);
		kube_config_free(cfg);
		return -1;
	}
	kube_config_free(cfg);
	return 0;
}

static int sim_stop(void **state)
{
	struct sim *s = *state;
	char p[128];

	kube_client_free(s->c);
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->dir[0]) {
		snprintf(p, sizeof(p), "%s/port", s->dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/kubeconfig", s->dir);
		unlink(p);
		rmdir(s->dir);
	}
	free(s);
	return 0;
}

static struct sim *sim_or_skip(void **state)
{
	struct sim *s = *state;

	if (!s->c)
		skip();
	return s;
}

/* POST/DELETE on a /kubesim/ test endpoint. */
static void sim_call(struct sim *s, const char *method, const char *path, const char *json)
{
	cJSON *body = json ? cJSON_Parse(json) : NULL;
	struct kube_op op = { .kind = KUBE_OP_RAW, .raw_method = method, .raw_path = path,
			      .body = body, .raw_idempotent = 1 };
	struct kerr e;

	if (kube_run(s->c, &op, 1, &e))
		fail_msg("%s %s: %s", method, path, e.msg);
	kube_ops_clear(&op, 1);
	cJSON_Delete(body);
}

static void create_cm(struct sim *s, const struct kube_resource *cm, const char *name)
{
	char js[256];
	cJSON *o;
	struct kerr e;

	snprintf(js, sizeof(js), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
				 "{\"name\":\"%s\",\"namespace\":\"default\"},\"data\":{\"k\":\"v\"}}", name);
	o = cJSON_Parse(js);
	if (kube_apply(s->c, cm, NULL, o, NULL, NULL, &e))
		fail_msg("apply %s: %s", name, e.msg);
	cJSON_Delete(o);
}

static void test_kubesim_apply_get_list_delete_round_trip(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	cJSON *got = NULL, *items = NULL;
	char *rv = NULL;
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	assert_string_equal(cm.resource, "configmaps");
	create_cm(s, &cm, "round-trip");
	assert_int_equal(kube_get(s->c, &cm, "default", "round-trip", &got, &e), 0);
	assert_string_equal(jsonx_str(got, "data.k"), "v");
	assert_non_null(jsonx_str(got, "metadata.uid"));
	cJSON_Delete(got);
	assert_int_equal(kube_list(s->c, &cm, "default", NULL, &items, &rv, &e), 0);
	assert_true(cJSON_GetArraySize(items) >= 1);
	assert_true(rv[0] != '\0');
	cJSON_Delete(items);
	free(rv);
	assert_int_equal(kube_delete(s->c, &cm, "default", "round-trip", NULL, &e), 0);
	assert_int_equal(kube_get(s->c, &cm, "default", "round-trip", &got, &e), KAIRN_ENOTFOUND);
	assert_non_null(strstr(e.msg, "GET /api/v1/namespaces/default/configmaps/round-trip: 404 NotFound"));
}

static void test_kubesim_injected_429_and_500_are_retried(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	struct kube_client_stats before, after;
	cJSON *got = NULL;
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	create_cm(s, &cm, "flaky");
	sim_call(s, "POST", "/kubesim/faults",
		 "{\"faults\":[{\"type\":\"429\",\"retryAfter\":1,\"count\":1,\"method\":\"GET\","
		 "\"path\":\"/api/v1/namespaces/default/configmaps/flaky\"},"
		 "{\"type\":\"500\",\"count\":2,\"method\":\"GET\","
		 "\"path\":\"/api/v1/namespaces/default/configmaps/flaky\"}]}");
	kube_client_stats(s->c, &before);
	assert_int_equal(kube_get(s->c, &cm, "default", "flaky", &got, &e), 0);
	kube_client_stats(s->c, &after);
	assert_string_equal(jsonx_str(got, "metadata.name"), "flaky");
	assert_int_equal(after.retries - before.retries, 3);
	cJSON_Delete(got);
	sim_call(s, "DELETE", "/kubesim/faults", NULL);
}

struct watch_state {
	struct sim *s;
	const struct kube_resource *cm;
	int relists, added_after;
	char trace[512];
};

static int on_event(void *ud, enum kube_event_type t, const cJSON *obj)
{
	struct watch_state *w = ud;
	const char *name = t == KUBE_EVENT_RELIST ? NULL : jsonx_str(obj, "metadata.name");
	size_t n = strlen(w->trace);

	snprintf(w->trace + n, sizeof(w->trace) - n, "%d:%s ", (int)t, name ? name : "");
	if (t == KUBE_EVENT_RELIST) {
		w->relists++;
		/* a change after the relist must arrive through the new watch */
		if (w->relists == 1)
			create_cm(w->s, w->cm, "after-relist");
	}
	if (t == KUBE_EVENT_ADDED && name && strcmp(name, "after-relist") == 0) {
		w->added_after = 1;
		return 1;
	}
	return 0;
}

static void test_kubesim_watch_survives_drop_and_410(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	struct watch_state w = { .s = s, .cm = &cm };
	struct kube_watch_opts wo = { .resource_version = "1", .duration_ms = 30000 };
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	/* push resourceVersion 1 out of the 4-event history */
	for (int i = 0; i < 8; i++) {
		char name[32];

		snprintf(name, sizeof(name), "churn-%d", i);
		create_cm(s, &cm, name);
	}
	/* the first watch request loses its connection */
	sim_call(s, "POST", "/kubesim/faults",
		 "{\"type\":\"drop\",\"count\":1,\"method\":\"GET\","
		 "\"path\":\"/api/v1/namespaces/default/configmaps\"}");
	assert_int_equal(kube_watch(s->c, &cm, "default", &wo, on_event, &w, &e), 0);
	if (!w.added_after || w.relists != 1)
		fail_msg("events: %s (relists %d)", w.trace, w.relists);
	sim_call(s, "DELETE", "/kubesim/faults", NULL);
}

struct pages {
	int pages, items, biggest;
	cJSON *kept;
};

static int on_page(void *ud, struct kube_op *op, cJSON *items, struct kerr *e)
{
	struct pages *p = ud;
	int n = cJSON_GetArraySize(items);

	(void)op;
	(void)e;
	p->pages++;
	p->items += n;
	if (n > p->biggest)
		p->biggest = n;
	if (!p->kept && items->child) /* the callback may keep an item */
		p->kept = cJSON_DetachItemViaPointer(items, items->child);
	return 0;
}

static void test_kubesim_list_pages_go_to_the_callback_one_by_one(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	struct pages p = { 0 };
	struct kube_op op = { .kind = KUBE_OP_LIST, .res = &cm, .namespace = "default", .limit = 2,
			      .on_page = on_page, .on_page_ud = &p };
	cJSON *all = NULL;
	int total;
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	for (int i = 0; i < 5; i++) {
		char name[32];

		snprintf(name, sizeof(name), "paged-%d", i);
		create_cm(s, &cm, name);
	}
	assert_int_equal(kube_list(s->c, &cm, "default", NULL, &all, NULL, &e), 0);
	total = cJSON_GetArraySize(all);
	cJSON_Delete(all);
	assert_true(total >= 5);
	assert_int_equal(kube_run(s->c, &op, 1, &e), 0);
	assert_int_equal(p.items, total);
	assert_int_equal(p.pages, (total + 1) / 2);
	assert_int_equal(p.biggest, 2);
	/* nothing piled up in the result; the kept item has its kind filled in */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(op.result, "items")), 0);
	assert_string_equal(jsonx_str(p.kept, "kind"), "ConfigMap");
	assert_string_equal(jsonx_str(p.kept, "apiVersion"), "v1");
	cJSON_Delete(p.kept);
	kube_ops_clear(&op, 1);
}

static int refuse_page(void *ud, struct kube_op *op, cJSON *items, struct kerr *e)
{
	(void)ud;
	(void)op;
	(void)items;
	return kerr_set(e, KAIRN_EINVAL, "page refused");
}

static void test_kubesim_list_callback_error_fails_the_op(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	struct kube_op op = { .kind = KUBE_OP_LIST, .res = &cm, .namespace = "default",
			      .on_page = refuse_page };
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	create_cm(s, &cm, "refused");
	assert_int_equal(kube_run(s->c, &op, 1, &e), KAIRN_EINVAL);
	assert_int_equal(op.rc, KAIRN_EINVAL);
	assert_non_null(strstr(op.err.msg, "page refused"));
	assert_int_equal(op.attempts, 1); /* not retried */
	kube_ops_clear(&op, 1);
}

static void test_kubesim_apply_of_json_text_leaves_no_result(void **state)
{
	struct sim *s = sim_or_skip(state);
	struct kube_resource cm;
	struct kube_op op = { .kind = KUBE_OP_APPLY, .res = &cm, .namespace = "default",
			      .name = "as-text", .field_manager = "kairn", .force = 1, .no_result = 1,
			      .body_json = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
					   "{\"name\":\"as-text\",\"namespace\":\"default\"},"
					   "\"data\":{\"k\":\"from-text\"}}" };
	cJSON *got = NULL;
	struct kerr e;

	assert_int_equal(kube_resolve(s->c, "v1", "ConfigMap", &cm, &e), 0);
	assert_int_equal(kube_run(s->c, &op, 1, &e), 0);
	assert_int_equal(op.http_status / 100, 2);
	assert_null(op.result);
	assert_int_equal(kube_get(s->c, &cm, "default", "as-text", &got, &e), 0);
	assert_string_equal(jsonx_str(got, "data.k"), "from-text");
	cJSON_Delete(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubesim_apply_get_list_delete_round_trip),
		cmocka_unit_test(test_kubesim_injected_429_and_500_are_retried),
		cmocka_unit_test(test_kubesim_watch_survives_drop_and_410),
		cmocka_unit_test(test_kubesim_list_pages_go_to_the_callback_one_by_one),
		cmocka_unit_test(test_kubesim_list_callback_error_fails_the_op),
		cmocka_unit_test(test_kubesim_apply_of_json_text_leaves_no_result),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, sim_start, sim_stop);
	curl_global_cleanup();
	return rc;
}
