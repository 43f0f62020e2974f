/*
 * tls_verify.c — trusts an HTTPS server's certificate by a CA bundle the
 * user names (a private forge's internal CA), with OpenSSL.
 *
 * libgit2 verifies TLS against the system CAs and, when that fails, asks our
 * certificate_check callback with the peer's leaf certificate (DER). We then
 * verify that leaf against the bundle — any certificate in the bundle may
 * anchor the chain (X509_V_FLAG_PARTIAL_CHAIN), because libgit2 hands us no
 * intermediates — and check that it names the host (DNS name or IP).
 * It must never accept on an error path.
 */
#include "git/git_internal.h"
#include "util/err.h"

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <string.h>

static int host_matches(X509 *cert, const char *host)
{
	/* X509_check_ip_asc returns -1 when host is not an IP literal. */
	int ip = X509_check_ip_asc(cert, host, 0);

	if (ip >= 0)
		return ip == 1;
	return X509_check_host(cert, host, strlen(host), 0, NULL) == 1;
}

int git_tls_verify_der(const char *ca_file, const char *host, const unsigned char *der,
		       size_t len, struct kerr *e)
{
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = 0;

	if (!cert || !store || !ctx) {
		rc = kerr_set(e, KAIRN_ETLS, "TLS certificate of %s: cannot be parsed", host);
		goto out;
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		rc = kerr_set(e, KAIRN_ETLS, "CA file %s: cannot be read as PEM certificates", ca_file);
		goto out;
	}
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_CTX_init(ctx, store, cert, NULL) != 1 || X509_verify_cert(ctx) != 1) {
		rc = kerr_set(e, KAIRN_ETLS, "TLS certificate of %s is not trusted by %s: %s", host,
			      ca_file, X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
		goto out;
	}
	if (!host_matches(cert, host))
		rc = kerr_set(e, KAIRN_ETLS, "TLS certificate of %s does not name that host", host);
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(cert);
	return rc;
}
