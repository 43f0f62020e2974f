/*
 * test_kube_tls.c — agent/kube's TLS rules against an HTTPS server
 * (libmicrohttpd with certificates minted here by OpenSSL): the kubeconfig CA
 * is trusted and nothing else, a wrong CA is a TLS error (never a silent
 * success), insecure-skip-tls-verify skips verification, and client
 * certificates are presented from memory.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

struct pem {
	char *key, *cert;
};

static char *bio_string(BIO *b)
{
	char *p, *s;
	long n = BIO_get_mem_data(b, &p);

	s = malloc((size_t)n + 1);
	assert_non_null(s);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	BIO_free(b);
	return s;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ex);
	X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
}

/* Mints a P-256 key and a certificate for cn, signed by (ca_key, ca) or self. */
static void mint(const char *cn, const char *san, int is_ca, EVP_PKEY *ca_key, X509 *ca, EVP_PKEY **key_out,
		 X509 **cert_out, struct pem *pem)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	static long serial = 1;

	assert_non_null(key);
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(c, name);
	X509_set_issuer_name(c, ca ? X509_get_subject_name(ca) : name);
	X509_set_pubkey(c, key);
	if (is_ca) {
		add_ext(c, ca ? ca : c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, ca ? ca : c, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(c, ca ? ca : c, NID_subject_alt_name, san);
		add_ext(c, ca ? ca : c, NID_ext_key_usage, "serverAuth,clientAuth");
	}
	assert_true(X509_sign(c, ca_key ? ca_key : key, EVP_sha256()) > 0);
	PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_X509(cb, c);
	pem->key = bio_string(kb);
	pem->cert = bio_string(cb);
	X509_NAME_free(name);
	if (key_out)
		*key_out = key;
	else
		EVP_PKEY_free(key);
	if (cert_out)
		*cert_out = c;
	else
		X509_free(c);
}

struct pki {
	struct pem ca, other_ca, server, named, client;
};

static void pki_make(struct pki *p)
{
	EVP_PKEY *ca_key, *other_key;
	X509 *ca, *other;

	mint("test-ca", NULL, 1, NULL, NULL, &ca_key, &ca, &p->ca);
	mint("other-ca", NULL, 1, NULL, NULL, &other_key, &other, &p->other_ca);
	mint("127.0.0.1", "IP:127.0.0.1,DNS:localhost", 0, ca_key, ca, NULL, NULL, &p->server);
	/* valid only for a name that does not resolve: needs tls-server-name */
	mint("kube.internal", "DNS:kube.internal", 0, ca_key, ca, NULL, NULL, &p->named);
	mint("kairn-client", "DNS:kairn-client", 0, ca_key, ca, NULL, NULL, &p->client);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
	X509_free(ca);
	X509_free(other);
}

static void pem_free(struct pem *p)
{
	free(p->key);
	free(p->cert);
}

static void pki_free(struct pki *p)
{
	pem_free(&p->ca);
	pem_free(&p->other_ca);
	pem_free(&p->server);
	pem_free(&p->named);
	pem_free(&p->client);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static const char body[] = "{\"major\":\"1\",\"minor\":\"30\",\"gitVersion\":\"v1.30.0-test\"}";
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)upload, (void)upload_size;
	if (!*con_cls) {
		*con_cls = (void *)1;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

struct fixture {
	struct pki pki;
	struct MHD_Daemon *d, *named;
	char url[64], named_url[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_in a = { .sin_family = AF_INET };

	pki_make(&f->pki);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				MHD_USE_TLS, 0, NULL, NULL, answer, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_HTTPS_MEM_KEY, f->pki.server.key,
				MHD_OPTION_HTTPS_MEM_CERT, f->pki.server.cert,
				MHD_OPTION_HTTPS_MEM_TRUST, f->pki.ca.cert, MHD_OPTION_END);
	f->named = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
				    MHD_USE_TLS, 0, NULL, NULL, answer, NULL,
				    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				    MHD_OPTION_HTTPS_MEM_KEY, f->pki.named.key,
				    MHD_OPTION_HTTPS_MEM_CERT, f->pki.named.cert, MHD_OPTION_END);
	if (!f->d || !f->named)
		return -1;
	snprintf(f->named_url, sizeof(f->named_url), "https://127.0.0.1:%u/",
		 (unsigned)MHD_get_daemon_info(f->named, MHD_DAEMON_INFO_BIND_PORT)->port);
	snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%u",
		 (unsigned)MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT)->port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	MHD_stop_daemon(f->d);
	MHD_stop_daemon(f->named);
	pki_free(&f->pki);
	free(f);
	return 0;
}

static const struct kube_client_opts OPTS = { .qps = -1, .max_attempts = 3, .backoff_base_ms = 10,
					      .timeout_ms = 5000 };

static int version_at(const char *url, struct kube_config *cfg, struct kerr *e)
{
	struct kube_client *c = NULL;
	cJSON *v = NULL;
	int rc;

	cfg->server = (char *)url;
	rc = kube_client_new(cfg, &OPTS, &c, e);
	assert_int_equal(rc, 0);
	rc = kube_server_version(c, &v, e);
	if (!rc)
		assert_string_equal(cJSON_GetObjectItem(v, "gitVersion")->valuestring, "v1.30.0-test");
	cJSON_Delete(v);
	kube_client_free(c);
	return rc;
}

static int version_with(struct fixture *f, struct kube_config *cfg, struct kerr *e)
{
	return version_at(f->url, cfg, e);
}

static void test_tls_server_name_checks_certificate_against_it(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .ca_pem = f->pki.ca.cert, .ca_pem_len = strlen(f->pki.ca.cert) };
	struct kerr e;

	/* the certificate names kube.internal, not 127.0.0.1 */
	assert_int_equal(version_at(f->named_url, &cfg, &e), KAIRN_ETLS);
	cfg.tls_server_name = "kube.internal";
	assert_int_equal(version_at(f->named_url, &cfg, &e), 0);
	cfg.tls_server_name = "other.internal";
	assert_int_equal(version_at(f->named_url, &cfg, &e), KAIRN_ETLS);
}

static void test_tls_trusts_the_kubeconfig_ca(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .ca_pem = f->pki.ca.cert, .ca_pem_len = strlen(f->pki.ca.cert) };
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), 0);
}

static void test_tls_wrong_ca_is_a_tls_error_not_retried(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .ca_pem = f->pki.other_ca.cert,
				   .ca_pem_len = strlen(f->pki.other_ca.cert) };
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), KAIRN_ETLS);
	assert_non_null(strstr(e.msg, "GET /version: TLS error"));
	assert_null(strstr(e.msg, "attempts")); /* TLS failures are final */
}

static void test_tls_without_ca_uses_system_store_and_fails(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { 0 };
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), KAIRN_ETLS);
}

static void test_tls_insecure_skip_verify(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .insecure_skip_tls_verify = 1 };
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), 0);
}

static void test_tls_client_certificate_from_memory(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .ca_pem = f->pki.ca.cert, .ca_pem_len = strlen(f->pki.ca.cert),
				   .cert_pem = f->pki.client.cert,
				   .cert_pem_len = strlen(f->pki.client.cert),
				   .key_pem = f->pki.client.key, .key_pem_len = strlen(f->pki.client.key) };
	struct kube_client *c = NULL;
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), 0);
	cfg.server = f->url;
	assert_int_equal(kube_client_new(&cfg, &OPTS, &c, &e), 0);
	assert_string_equal(kube_client_auth_method(c), "client-cert");
	kube_client_free(c);
}

static void test_tls_mismatched_client_key_is_a_tls_error(void **state)
{
	struct fixture *f = *state;
	struct kube_config cfg = { .ca_pem = f->pki.ca.cert, .ca_pem_len = strlen(f->pki.ca.cert),
				   .cert_pem = f->pki.client.cert,
				   .cert_pem_len = strlen(f->pki.client.cert),
				   .key_pem = f->pki.server.key, .key_pem_len = strlen(f->pki.server.key) };
	struct kerr e;

	assert_int_equal(version_with(f, &cfg, &e), KAIRN_ETLS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_trusts_the_kubeconfig_ca),
		cmocka_unit_test(test_tls_wrong_ca_is_a_tls_error_not_retried),
		cmocka_unit_test(test_tls_without_ca_uses_system_store_and_fails),
		cmocka_unit_test(test_tls_insecure_skip_verify),
		cmocka_unit_test(test_tls_client_certificate_from_memory),
		cmocka_unit_test(test_tls_mismatched_client_key_is_a_tls_error),
		cmocka_unit_test(test_tls_server_name_checks_certificate_against_it),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
