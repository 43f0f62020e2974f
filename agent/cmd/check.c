/*
 * cmd/check.c — `kairn check`: can kairn work against this cluster? Connects,
 * prints the server version, how kairn authenticates, how many resource types
 * discovery finds and whether the permissions kairn needs are granted
 * (SelfSubjectAccessReview, skipped when the server has none). Exit 1 with the
 * reason when anything fails; it never reports success it did not observe.
 */
#include "cli.h"
#include "common.h"
#include "kube/kube.h"
#include "util/err.h"
#include "util/jsonx.h"

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_check_usage[] =
	"Usage: kairn check [-o text|json]\n"
	"\n"
	"Connects to the cluster of the current kubeconfig context (or the in-cluster\n"
	"service account) and reports the server version, the authentication method\n"
	"(token, token-file, exec, client-cert, basic, in-cluster, anonymous), the\n"
	"number of resource types discovered, and whether kairn's permissions (get,\n"
	"list, watch, create, patch, delete on all resources) are granted.\n"
	"Exits 1 with the reason when the cluster cannot be used.\n";

/* The verbs kairn needs on every resource it manages. */
static const char *const needed_verbs[] = { "get", "list", "watch", "create", "patch", "delete" };
#define N_VERBS (sizeof(needed_verbs) / sizeof(needed_verbs[0]))

struct check_report {
	const char *server, *context, *auth;
	char *version;
	size_t resources;
	int perms_checked;   /* 0: the server has no SelfSubjectAccessReview */
	int denied[N_VERBS];
	int ndenied;
};

static int has_ssar(const struct kube_resource *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].group, "authorization.k8s.io") == 0 &&
		    strcmp(all[i].version, "v1") == 0 &&
		    strcmp(all[i].resource, "selfsubjectaccessreviews") == 0)
			return 1;
	return 0;
}

static int check_permissions(struct kube_client *c, struct check_report *r, struct kerr *e)
{
	struct kube_op ops[N_VERBS];
	cJSON *bodies[N_VERBS] = { 0 };
	int rc = 0;

	memset(ops, 0, sizeof(ops));
	for (size_t i = 0; i < N_VERBS; i++) {
		char *js = NULL;

		if (asprintf(&js, "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":"
				  "\"SelfSubjectAccessReview\",\"spec\":{\"resourceAttributes\":"
				  "{\"verb\":\"%s\",\"group\":\"*\",\"resource\":\"*\"}}}",
			     needed_verbs[i]) < 0)
			js = NULL;
		bodies[i] = js ? cJSON_Parse(js) : NULL;
		free(js);
		if (!bodies[i]) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		/* a review creates nothing, so retrying it is safe */
		ops[i] = (struct kube_op){ .kind = KUBE_OP_RAW, .raw_method = "POST",
					   .raw_path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
					   .raw_idempotent = 1, .body = bodies[i] };
	}
	rc = kube_run(c, ops, N_VERBS, e);
	if (rc == KAIRN_ENOTFOUND || rc == KAIRN_EUNSUPPORTED) {
		rc = 0; /* listed in discovery but not served: treat as absent */
		kerr_clear(e);
		goto out;
	}
	if (rc) {
		kerr_prefix(e, "checking permissions");
		goto out;
	}
	r->perms_checked = 1;
	for (size_t i = 0; i < N_VERBS; i++) {
		if (!cJSON_IsTrue(jsonx_get(ops[i].result, "status.allowed"))) {
			r->denied[i] = 1;
			r->ndenied++;
		}
	}
out:
	kube_ops_clear(ops, N_VERBS);
	for (size_t i = 0; i < N_VERBS; i++)
		cJSON_Delete(bodies[i]);
	return rc;
}

static int run_check(const struct kairn_globals *g, struct check_report *r,
		     struct kube_client **cp, struct kerr *e)
{
	struct kube_resource *all = NULL;
	cJSON *ver = NULL;
	int rc;

	rc = cli_kube_connect(g, cp, e);
	if (rc)
		return rc;
	r->server = kube_client_server(*cp);
	r->context = kube_client_context(*cp);
	r->auth = kube_client_auth_method(*cp);
	rc = kube_server_version(*cp, &ver, e);
	if (rc)
		return kerr_prefix(e, "server version");
	r->version = strdup(jsonx_str(ver, "gitVersion") ? jsonx_str(ver, "gitVersion") : "unknown");
	cJSON_Delete(ver);
	if (!r->version)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rc = kube_discover_all(*cp, &all, &r->resources, e);
	if (!rc && has_ssar(all, r->resources))
		rc = check_permissions(*cp, r, e);
	free(all);
	return rc;
}

static void print_text(const struct check_report *r)
{
	printf("server:      %s (%s)\n", r->server, r->version);
	if (r->context && r->context[0])
		printf("context:     %s\n", r->context);
	printf("auth:        %s\n", r->auth);
	printf("resources:   %zu resource types discovered\n", r->resources);
	if (!r->perms_checked) {
		printf("permissions: not checked (the server offers no SelfSubjectAccessReview)\n");
	} else if (!r->ndenied) {
		printf("permissions: ok (get, list, watch, create, patch, delete on all resources)\n");
	} else {
		printf("permissions: MISSING:");
		for (size_t i = 0; i < N_VERBS; i++)
			if (r->denied[i])
				printf(" %s", needed_verbs[i]);
		printf(" on all resources\n");
	}
}

static void print_json(const struct check_report *r, const struct kerr *e)
{
	cJSON *o = cJSON_CreateObject(), *p, *d;
	char *s;

	cJSON_AddBoolToObject(o, "ok", !e->code && !r->ndenied);
	if (r->server)
		cJSON_AddStringToObject(o, "server", r->server);
	if (r->version)
		cJSON_AddStringToObject(o, "serverVersion", r->version);
	if (r->context)
		cJSON_AddStringToObject(o, "context", r->context);
	if (r->auth)
		cJSON_AddStringToObject(o, "auth", r->auth);
	cJSON_AddNumberToObject(o, "resourceTypes", (double)r->resources);
	p = cJSON_AddObjectToObject(o, "permissions");
	cJSON_AddBoolToObject(p, "checked", r->perms_checked);
	d = cJSON_AddArrayToObject(p, "denied");
	for (size_t i = 0; i < N_VERBS; i++)
		if (r->denied[i])
			cJSON_AddItemToArray(d, cJSON_CreateString(needed_verbs[i]));
	if (e->code)
		cJSON_AddStringToObject(o, "error", e->msg);
	s = cJSON_Print(o);
	printf("%s\n", s ? s : "{}");
	free(s);
	cJSON_Delete(o);
}

int cmd_check(int argc, char **argv, const struct kairn_globals *g)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct check_report r = { 0 };
	struct kube_client *c = NULL;
	struct kerr e;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'h')
			return cli_print_help("check");
		return cli_usage_error("check", "unknown flag");
	}
	if (optind < argc)
		return cli_usage_error("check", "unexpected argument \"%s\"", argv[optind]);
	kerr_clear(&e);
	rc = run_check(g, &r, &c, &e);
	if (g->output == KAIRN_OUT_JSON)
		print_json(&r, &e);
	else if (!rc)
		print_text(&r);
	if (rc)
		fprintf(stderr, "kairn check: %s\n", e.msg);
	else if (r.ndenied)
		fprintf(stderr, "kairn check: the identity lacks permissions kairn needs\n");
	free(r.version);
	kube_client_free(c);
	return rc || r.ndenied ? KAIRN_EXIT_ERROR : KAIRN_EXIT_OK;
}
