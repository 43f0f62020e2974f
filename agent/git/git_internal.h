/*
 * git_internal.h — pieces of agent/git shared between its files, not an API.
 *
 * fetch.c runs one fetch in a child process under a deadline; known_hosts.c
 * checks an SSH host key against an OpenSSH known_hosts file; url.c splits
 * the few URL facts the module needs; tls_verify.c trusts HTTPS servers by
 * a CA file. Nothing here is used outside agent/git.
 */
#ifndef KAIRN_GIT_INTERNAL_H
#define KAIRN_GIT_INTERNAL_H

#include "git/gitsrc.h"

#include <stddef.h>

struct kerr;

enum git_url_kind { GIT_URL_HTTP, GIT_URL_SSH, GIT_URL_GIT, GIT_URL_LOCAL };

/* Classifies url and, for ssh, finds the login (may be empty), host and port
 * (22 when absent). Returns KAIRN_EINVAL for an unsupported scheme. */
struct git_url_info {
	enum git_url_kind kind;
	char user[128];
	char host[256];
	int port;
};
int git_url_parse(const char *url, struct git_url_info *out, struct kerr *e);

/* One fetch of url into the bare repository at repo_path: mirrors
 * refs/heads/... and refs/tags/... (pruning), points HEAD at the remote's
 * default branch. Runs in a forked child that is killed at the deadline, so
 * a stalled server cannot hang the caller (libgit2 1.5 has no socket
 * timeouts). */
struct git_fetch_job {
	const char *url;
	const char *redacted_url; /* for messages */
	const char *repo_path;
	const struct git_source_auth *auth;
	const struct git_url_info *where;
	int timeout_sec;
};
int git_fetch_run(const struct git_fetch_job *job, struct kerr *e);

/* Returns 0 if known_hosts_path has an entry for host:port whose key equals
 * the raw SSH key blob; otherwise KAIRN_ETLS with a message that says whether
 * the host is unknown, its key changed, or the key is revoked. */
int git_known_hosts_check(const char *known_hosts_path, const char *host, int port,
			  const unsigned char *key, size_t keylen, struct kerr *e);

/* Returns 0 if the DER certificate der chains to a certificate in ca_file and
 * names host; otherwise KAIRN_ETLS saying why. */
int git_tls_verify_der(const char *ca_file, const char *host, const unsigned char *der,
		       size_t len, struct kerr *e);

#endif
