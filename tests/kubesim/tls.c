/*
 * tls.c — a throwaway PKI generated at start with OpenSSL libcrypto: an
 * ECDSA P-256 CA and a server certificate for the listen address (plus
 * localhost and 127.0.0.1), as PEM strings for libmicrohttpd (GnuTLS) and
 * for the kubeconfig's certificate-authority-data. Nothing touches disk.
 */
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include "ks.h"

static char *bio_string(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s) {
		memcpy(s, data, (size_t)n);
		s[n] = 0;
	}
	return s;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	int ok = X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	if (!c)
		return NULL;
	X509_set_version(c, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 10L * 365 * 24 * 3600);
	X509_set_pubkey(c, key);
	X509_NAME *name = X509_get_subject_name(c);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	(void)issuer_key;
	return c;
}

int ks_tls_generate(const char *host, char **ca_pem, char **cert_pem, char **key_pem, struct kerr *e)
{
	int rc = KAIRN_ETLS;
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *srv = NULL;
	BIO *b1 = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem()), *b3 = BIO_new(BIO_s_mem());
	*ca_pem = *cert_pem = *key_pem = NULL;
	if (!ca_key || !srv_key || !b1 || !b2 || !b3)
		goto out;
	ca = make_cert(ca_key, "kubesim-ca", 1, NULL, NULL);
	if (!ca || add_ext(ca, ca, NID_basic_constraints, "critical,CA:TRUE") ||
	    add_ext(ca, ca, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature") ||
	    add_ext(ca, ca, NID_subject_key_identifier, "hash") || !X509_sign(ca, ca_key, EVP_sha256()))
		goto out;
	srv = make_cert(srv_key, "kubesim", 2, ca, ca_key);
	char san[512];
	struct in_addr ia;
	int is_ip = inet_pton(AF_INET, host, &ia) == 1;
	if (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost"))
		snprintf(san, sizeof(san), "IP:127.0.0.1,DNS:localhost");
	else
		snprintf(san, sizeof(san), "IP:127.0.0.1,DNS:localhost,%s:%s", is_ip ? "IP" : "DNS", host);
	if (!srv || add_ext(srv, ca, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(srv, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
	    add_ext(srv, ca, NID_ext_key_usage, "serverAuth") || add_ext(srv, ca, NID_subject_alt_name, san) ||
	    add_ext(srv, ca, NID_authority_key_identifier, "keyid:always") || !X509_sign(srv, ca_key, EVP_sha256()))
		goto out;
	if (!PEM_write_bio_X509(b1, ca) || !PEM_write_bio_X509(b2, srv) ||
	    !PEM_write_bio_PrivateKey(b3, srv_key, NULL, NULL, 0, NULL, NULL))
		goto out;
	*ca_pem = bio_string(b1);
	*cert_pem = bio_string(b2);
	*key_pem = bio_string(b3);
	if (*ca_pem && *cert_pem && *key_pem)
		rc = 0;
out:
	if (rc) {
		free(*ca_pem);
		free(*cert_pem);
		free(*key_pem);
		*ca_pem = *cert_pem = *key_pem = NULL;
		kerr_set(e, KAIRN_ETLS, "generating the self-signed certificates failed");
	}
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(srv_key);
	BIO_free(b1);
	BIO_free(b2);
	BIO_free(b3);
	return rc;
}
