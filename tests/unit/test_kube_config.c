/*
 * test_kube_config.c — agent/kube/kubeconfig against a corpus of real-world
 * kubeconfig shapes (tests/unit/fixtures/kubeconfig): EKS and GKE exec
 * plugins, kind client certificates, token files and relative paths, the
 * KUBECONFIG merge rules, in-cluster service accounts, and clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

#define FX KAIRN_SOURCE_DIR "/tests/unit/fixtures/kubeconfig/"

static struct kube_config *load_ok(const struct kube_config_opts *o)
{
	struct kube_config *c = NULL;
	struct kerr e;
	int rc = kube_config_load(o, &c, &e);

	if (rc)
		fail_msg("kube_config_load: %s", e.msg);
	return c;
}

static void test_eks_exec_plugin_v1beta1(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "eks.yaml" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com");
	assert_non_null(c->ca_pem);
	assert_non_null(strstr(c->ca_pem, "BEGIN CERTIFICATE"));
	assert_non_null(c->exec);
	assert_string_equal(c->exec->api_version, "client.authentication.k8s.io/v1beta1");
	assert_string_equal(c->exec->command, "aws"); /* a bare name: looked up in PATH */
	assert_string_equal(c->exec->args[0], "--region");
	assert_string_equal(c->exec->args[7], "json");
	assert_null(c->exec->args[8]);
	assert_string_equal(c->exec->env[0], "AWS_PROFILE=ops");
	assert_null(c->exec->env[1]);
	assert_false(c->exec->provide_cluster_info);
	assert_null(c->token);
	assert_string_equal(c->namespace, "default");
	kube_config_free(c);
}

static void test_gke_auth_plugin_with_cluster_info_and_namespace(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "gke.yaml" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://34.77.12.34");
	assert_string_equal(c->exec->command, "gke-gcloud-auth-plugin");
	assert_true(c->exec->provide_cluster_info);
	assert_non_null(strstr(c->exec->install_hint, "gke-gcloud-auth-plugin"));
	assert_null(c->exec->args[0]);
	assert_string_equal(c->namespace, "apps");
	assert_string_equal(c->context, "gke_my-project_europe-west1_autopilot-1");
	kube_config_free(c);
}

static void test_kind_client_certificate_data(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "kind.yaml" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://127.0.0.1:40503");
	assert_non_null(strstr(c->cert_pem, "ZmFrZS1jZXJ0"));
	assert_int_equal(c->cert_pem_len, strlen(c->cert_pem));
	assert_non_null(strstr(c->key_pem, "RSA PRIVATE KEY"));
	assert_null(c->exec);
	assert_null(c->token);
	kube_config_free(c);
}

static void test_proxy_url_is_read_and_checked(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "proxy.yaml" };
	struct kube_config *c = load_ok(&o);
	struct kerr e;

	(void)state;
	assert_string_equal(c->proxy_url, "http://proxy.corp.example:3128");
	kube_config_free(c);
	c = NULL;
	o.context = "bad";
	assert_int_equal(kube_config_load(&o, &c, &e), KAIRN_EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, "proxy.yaml:"));
	assert_non_null(strstr(e.msg, "proxy-url: \"ftp://proxy.corp.example\" is not an http"));
}

static void test_token_file_and_ca_file_are_relative_to_kubeconfig(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "token-file.yaml" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://dev.example.com:6443"); /* trailing slash gone */
	assert_string_equal(c->token_file, FX "tokens/dev-token");
	assert_non_null(strstr(c->ca_pem, "ZmlsZS1jYQ=="));
	assert_string_equal(c->namespace, "team-a");
	assert_false(c->insecure_skip_tls_verify);
	kube_config_free(c);
}

static void test_named_context_overrides_current(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "token-file.yaml", .context = "lab",
				      .namespace = "override" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://10.0.0.1:6443");
	assert_true(c->insecure_skip_tls_verify);
	assert_null(c->ca_pem);
	assert_non_null(strstr(c->cert_pem, "ZmlsZS1jZXJ0"));
	assert_non_null(strstr(c->key_pem, "EC PRIVATE KEY"));
	assert_string_equal(c->namespace, "override");
	assert_string_equal(c->context, "lab");
	kube_config_free(c);
}

static void test_kubeconfig_env_merge_first_file_wins(void **state)
{
	struct kube_config_opts o = {
		.kubeconfig_env = FX "does-not-exist.yaml:" FX "merge-a.yaml:" FX "merge-b.yaml",
		.home = "/nonexistent",
	};
	struct kube_config *c = load_ok(&o);

	(void)state;
	/* current-context, context and cluster from a; the user only b defines */
	assert_string_equal(c->context, "shared");
	assert_string_equal(c->server, "https://a.example.com");
	assert_string_equal(c->namespace, "from-a");
	assert_string_equal(c->token, "b-static-token");
	assert_non_null(strstr(c->origin, "merge-a.yaml:"));
	kube_config_free(c);
}

static void test_merge_can_select_context_of_second_file(void **state)
{
	struct kube_config_opts o = { .kubeconfig_env = FX "merge-a.yaml:" FX "merge-b.yaml",
				      .context = "b-only" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->server, "https://b-only.example.com");
	kube_config_free(c);
}

static void test_kubeconfig_flag_beats_env(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "kind.yaml",
				      .kubeconfig_env = FX "merge-a.yaml" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_string_equal(c->context, "kind-kind");
	kube_config_free(c);
}

static void test_in_cluster_when_no_kubeconfig(void **state)
{
	struct kube_config_opts o = { .home = "/nonexistent", .service_host = "10.96.0.1",
				      .service_port = "443", .sa_dir = FX "sa" };
	struct kube_config *c = load_ok(&o);

	(void)state;
	assert_true(c->in_cluster);
	assert_string_equal(c->server, "https://10.96.0.1:443");
	assert_string_equal(c->token_file, FX "sa/token");
	assert_null(c->token); /* read by the client, re-read every minute */
	assert_non_null(strstr(c->ca_pem, "c2EtY2E="));
	assert_string_equal(c->namespace, "kairn-system");
	assert_string_equal(c->origin, "in-cluster");
	kube_config_free(c);
}

static void test_in_cluster_ipv6_host_is_bracketed(void **state)
{
	struct kube_config *c = NULL;
	struct kerr e;

	(void)state;
	assert_int_equal(kube_config_in_cluster("fd00::1", "6443", FX "sa", &c, &e), 0);
	assert_string_equal(c->server, "https://[fd00::1]:6443");
	kube_config_free(c);
}

static void test_nothing_configured_is_a_clear_error(void **state)
{
	struct kube_config_opts o = { .home = "/nonexistent" };
	struct kube_config *c = NULL;
	struct kerr e;

	(void)state;
	assert_int_equal(kube_config_load(&o, &c, &e), KAIRN_EINVAL);
	assert_null(c);
	assert_non_null(strstr(e.msg, "no kubeconfig found"));
}

static void expect_error(const char *file, const char *context, int code, const char *needle)
{
	struct kube_config_opts o = { .kubeconfig = file, .context = context };
	struct kube_config *c = NULL;
	struct kerr e;

	assert_int_equal(kube_config_load(&o, &c, &e), code);
	assert_null(c);
	if (!strstr(e.msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, needle);
}

static void test_errors_name_file_and_field(void **state)
{
	(void)state;
	expect_error(FX "bad-auth-provider.yaml", NULL, KAIRN_EUNSUPPORTED,
		     "bad-auth-provider.yaml:13: users[old].user.auth-provider");
	expect_error(FX "bad-base64.yaml", NULL, KAIRN_EINVAL,
		     "clusters[c].cluster.certificate-authority-data: not valid base64");
	expect_error(FX "bad-missing-cluster.yaml", NULL, KAIRN_EINVAL, "cluster \"nowhere\" not found");
	expect_error(FX "kind.yaml", "nope", KAIRN_EINVAL, "context \"nope\" not found");
	expect_error(FX "missing.yaml", NULL, KAIRN_ENOTFOUND, "missing.yaml");
}

static void test_config_dup_copies_every_field(void **state)
{
	struct kube_config_opts o = { .kubeconfig = FX "merge-b.yaml", .context = "shared" };
	struct kube_config *c = load_ok(&o);
	struct kube_config *d = NULL;
	struct kerr e;

	(void)state;
	/* a copy keeps every field */
	assert_int_equal(kube_config_dup(c, &d, &e), 0);
	assert_string_equal(d->token, "b-static-token");
	assert_string_equal(d->server, c->server);
	kube_config_free(c);
	kube_config_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eks_exec_plugin_v1beta1),
		cmocka_unit_test(test_gke_auth_plugin_with_cluster_info_and_namespace),
		cmocka_unit_test(test_kind_client_certificate_data),
		cmocka_unit_test(test_proxy_url_is_read_and_checked),
		cmocka_unit_test(test_token_file_and_ca_file_are_relative_to_kubeconfig),
		cmocka_unit_test(test_named_context_overrides_current),
		cmocka_unit_test(test_kubeconfig_env_merge_first_file_wins),
		cmocka_unit_test(test_merge_can_select_context_of_second_file),
		cmocka_unit_test(test_kubeconfig_flag_beats_env),
		cmocka_unit_test(test_in_cluster_when_no_kubeconfig),
		cmocka_unit_test(test_in_cluster_ipv6_host_is_bracketed),
		cmocka_unit_test(test_nothing_configured_is_a_clear_error),
		cmocka_unit_test(test_errors_name_file_and_field),
		cmocka_unit_test(test_config_dup_copies_every_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
