/*
 * fetch.c — one fetch from a remote into the cache's bare repository, in a
 * child process under a deadline.
 *
 * Why a child: libgit2 1.5 has no connect or read timeout, so a server that
 * accepts and then stalls would hang the sync loop forever. The child does
 * the whole fetch and writes its verdict (code + message) into a pipe; the
 * parent waits for that verdict at most timeout_sec and SIGKILLs the child
 * when it runs out. The repository on disk is the only thing the two share;
 * ref updates are lock-file + rename, so a killed fetch leaves old refs.
 * The child ends with _exit() so that it never runs the parent's atexit
 * handlers or flushes its stdio buffers.
 *
 * Credentials are handed to libgit2 from the caller's memory, once per
 * connection: a second request for them means the server refused the first,
 * and we stop with "authentication failed" instead of looping.
 * It must never put a credential into a message.
 */
#include "git/git_internal.h"
#include "util/codec.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What the libgit2 callbacks know and what they found out. */
struct fetch_ctx {
	const struct git_fetch_job *job;
	int secret_attempts;   /* key or password handed out */
	struct kerr why;       /* set by a callback that refused */
};

static const char *ssh_login(const struct fetch_ctx *c, const char *from_url)
{
	if (from_url && *from_url)
		return from_url;
	if (c->job->where->user[0])
		return c->job->where->user;
	return c->job->auth->username ? c->job->auth->username : "git";
}

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct fetch_ctx *c = payload;
	const struct git_source_auth *a = c->job->auth;
	const char *shown = c->job->redacted_url;

	(void)url;
	if (allowed & GIT_CREDENTIAL_USERNAME && !(allowed & GIT_CREDENTIAL_SSH_KEY))
		return git_credential_username_new(out, ssh_login(c, user_from_url));
	if (++c->secret_attempts > 1) {
		kerr_set(&c->why, KAIRN_EAUTH, "fetch %s: authentication failed (%s)", shown,
			 allowed & GIT_CREDENTIAL_SSH_KEY ? "ssh key refused" : "401: credentials refused");
		return GIT_EAUTH;
	}
	if (allowed & GIT_CREDENTIAL_SSH_KEY) {
		if (!a->ssh_key_path) {
			kerr_set(&c->why, KAIRN_EAUTH,
				 "fetch %s: the server wants an SSH key and none was given (--ssh-key)", shown);
			return GIT_EAUTH;
		}
		return git_credential_ssh_key_new(out, ssh_login(c, user_from_url), NULL, a->ssh_key_path,
						  a->ssh_passphrase);
	}
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		if (!a->password) {
			kerr_set(&c->why, KAIRN_EAUTH,
				 "fetch %s: authentication required (401) and no credentials were given "
				 "(--token-file or --password-file)", shown);
			return GIT_EAUTH;
		}
		return git_credential_userpass_plaintext_new(
			out, a->username && *a->username ? a->username : "x-access-token", a->password);
	}
	kerr_set(&c->why, KAIRN_EAUTH, "fetch %s: the server asks for an unsupported kind of credential",
		 shown);
	return GIT_EAUTH;
}

static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct fetch_ctx *c = payload;
	const struct git_source_auth *a = c->job->auth;
	const git_cert_hostkey *hk;
	const char *kh = a->known_hosts_path;
	char def[4096];

	if (cert->cert_type == GIT_CERT_X509) {
		const git_cert_x509 *x = (const git_cert_x509 *)cert;

		if (valid)
			return 0; /* trusted by the system CAs */
		if (!a->ca_file) {
			kerr_set(&c->why, KAIRN_ETLS,
				 "fetch %s: TLS certificate of %s is not trusted by the system CAs "
				 "(use --ca-file for a private CA)", c->job->redacted_url, host);
			return GIT_ECERTIFICATE;
		}
		if (git_tls_verify_der(a->ca_file, host, x->data, x->len, &c->why)) {
			kerr_prefix(&c->why, "fetch %s", c->job->redacted_url);
			return GIT_ECERTIFICATE;
		}
		return 0;
	}
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (a->insecure_ignore_host_key)
		return 0;
	hk = (const git_cert_hostkey *)cert;
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		kerr_set(&c->why, KAIRN_ETLS, "fetch %s: libgit2 gave no raw host key to check",
			 c->job->redacted_url);
		return GIT_ECERTIFICATE;
	}
	if (!kh) {
		const char *home = getenv("HOME");

		snprintf(def, sizeof(def), "%s/.ssh/known_hosts", home ? home : "");
		kh = def;
	}
	if (git_known_hosts_check(kh, c->job->where->host, c->job->where->port,
				  (const unsigned char *)hk->hostkey, hk->hostkey_len, &c->why)) {
		kerr_prefix(&c->why, "fetch %s", c->job->redacted_url);
		return GIT_ECERTIFICATE;
	}
	return 0;
}

/* A libgit2 failure as a kairn error: the message says what happened. */
static int classify(const struct fetch_ctx *c, int gerr, struct kerr *e)
{
	const git_error *ge = git_error_last();
	const char *m = ge && ge->message ? ge->message : "unknown error";
	int code = KAIRN_ENET;

	if (c->why.code)
		return kerr_set(e, c->why.code, "%s", c->why.msg);
	if (gerr == GIT_EAUTH || strstr(m, "401") || strstr(m, "403") || strstr(m, "authentication"))
		code = KAIRN_EAUTH;
	else if (gerr == GIT_ECERTIFICATE || strstr(m, "certificate"))
		code = KAIRN_ETLS;
	else if (ge && (ge->klass == GIT_ERROR_REFERENCE || ge->klass == GIT_ERROR_ODB ||
			ge->klass == GIT_ERROR_OBJECT || ge->klass == GIT_ERROR_ZLIB))
		/* the cache, not the remote: the caller clones again */
		return kerr_set(e, KAIRN_EIO, "fetch %s: cache %s: %s", c->job->redacted_url,
				c->job->repo_path, m);
	else if (strstr(m, "404") || strstr(m, "not found") || strstr(m, "not appear to be a git") ||
		 strstr(m, "could not find repository") || strstr(m, "not exported") ||
		 strstr(m, "failed to resolve path"))
		return kerr_set(e, KAIRN_ENOTFOUND, "fetch %s: repository not found (%s)",
				c->job->redacted_url, m);
	return kerr_set(e, code, "fetch %s: %s", c->job->redacted_url, m);
}

/* "Authorization: Basic base64(user:password)", or NULL on ENOMEM.
 *
 * Why preemptive: libgit2 1.5 mis-parses the retry after a 401 whose body
 * arrived with its headers ("http parser error: invalid constant string"),
 * so we never let a request go out without the credentials. Side effect,
 * by design: the header would go to any host a redirect names, so a source
 * with credentials does not follow redirects (use the final URL). */
static char *basic_auth_header(const struct git_source_auth *a)
{
	const char *user = a->username && *a->username ? a->username : "x-access-token";
	size_t n = strlen(user) + 1 + strlen(a->password);
	char *plain = malloc(n + 1), *b64 = NULL, *hdr = NULL;

	if (!plain)
		return NULL;
	snprintf(plain, n + 1, "%s:%s", user, a->password);
	b64 = b64_encode(plain, n);
	if (b64 && (hdr = malloc(strlen(b64) + 32)))
		sprintf(hdr, "Authorization: Basic %s", b64);
	git_secret_free(plain);
	git_secret_free(b64);
	return hdr;
}

static int fetch_now(const struct git_fetch_job *job, struct kerr *e)
{
	static char heads[] = "+refs/heads/*:refs/heads/*", tags[] = "+refs/tags/*:refs/tags/*";
	char *specs[] = { heads, tags };
	git_strarray refspecs = { specs, 2 };
	struct fetch_ctx c = { .job = job };
	git_remote_callbacks cb;
	git_remote_create_options ro;
	git_fetch_options fo;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_buf head = { 0 };
	char *auth_header = NULL;
	git_strarray headers = { &auth_header, 0 };
	int rc = 0, g;

	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb.credentials = credentials_cb;
	cb.certificate_check = certificate_cb;
	cb.payload = &c;
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE; /* the refspec brings all tags */
	/* Proxies as git uses them: http.proxy, else HTTPS_PROXY/HTTP_PROXY and
	 * NO_PROXY from the environment (libgit2's auto mode). */
	fo.proxy_opts.type = GIT_PROXY_AUTO;
	if (job->where->kind == GIT_URL_HTTP && job->auth->password) {
		if (!(auth_header = basic_auth_header(job->auth))) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		headers.count = 1;
		fo.custom_headers = headers;
		fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
		c.secret_attempts = 1; /* a 401 now means "refused" */
	}

	if ((g = git_repository_open_bare(&repo, job->repo_path)) < 0)
		goto fail;
	/* An anonymous remote (no URL with credentials in the cache's config).
	 * url.*.insteadOf is not applied: the URL fetched is the URL given, and
	 * libgit2 1.5 leaks pcre2 match data while scanning for it. */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
	if ((g = git_remote_create_with_opts(&remote, job->url, &ro)) < 0 ||
	    (g = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, &headers)) < 0 ||
	    (g = git_remote_download(remote, &refspecs, &fo)) < 0)
		goto fail;
	/* HEAD of the cache = the remote's default branch ("HEAD" as a ref). */
	if (git_remote_default_branch(&head, remote) == 0 &&
	    (g = git_repository_set_head(repo, head.ptr)) < 0)
		goto fail;
	if ((g = git_remote_update_tips(remote, &cb, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, "kairn fetch")) < 0 ||
	    (g = git_remote_prune(remote, &cb)) < 0)
		goto fail;
	goto out;
fail:
	rc = classify(&c, g, e);
out:
	git_buf_dispose(&head);
	git_secret_free(auth_header);
	if (remote)
		git_remote_disconnect(remote);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

/* Child side: fetch, report, _exit. */
static void child_main(const struct git_fetch_job *job, int fd)
{
	struct kerr e = { 0 };
	int rc = fetch_now(job, &e);
	size_t len = rc ? strlen(e.msg) : 0, off = 0;
	char out[sizeof(int) + KERR_MSG_MAX];

	memcpy(out, &rc, sizeof(int));
	memcpy(out + sizeof(int), e.msg, len);
	len += sizeof(int);
	while (off < len) {
		ssize_t n = write(fd, out + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	_exit(rc ? 1 : 0);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the child's verdict until EOF or the deadline; 1 = timed out. */
static int read_verdict(int fd, int timeout_sec, char *buf, size_t cap, size_t *got)
{
	long long deadline = now_ms() + (long long)timeout_sec * 1000;

	*got = 0;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;
		int pr;

		if (left <= 0)
			return 1;
		pr = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue; /* loops back to the deadline check */
		n = read(fd, buf + *got, cap - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		*got += (size_t)n;
		if (*got == cap)
			return 0;
	}
}

int git_fetch_run(const struct git_fetch_job *job, struct kerr *e)
{
	char buf[sizeof(int) + KERR_MSG_MAX];
	int fds[2], status = 0, rc = 0, code;
	size_t got = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return kerr_set(e, KAIRN_EIO, "fetch %s: pipe: %s", job->redacted_url, strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = kerr_set(e, KAIRN_EIO, "fetch %s: fork: %s", job->redacted_url, strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		close(fds[0]);
		child_main(job, fds[1]);
	}
	close(fds[1]);
	if (read_verdict(fds[0], job->timeout_sec, buf, sizeof(buf) - 1, &got)) {
		kill(pid, SIGKILL);
		rc = kerr_set(e, KAIRN_ETIMEOUT, "fetch %s: timed out after %d s", job->redacted_url,
			      job->timeout_sec);
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc)
		return rc;
	if (got < sizeof(int))
		return kerr_set(e, KAIRN_EIO, "fetch %s: the fetch process died (%s %d)", job->redacted_url,
				WIFSIGNALED(status) ? "signal" : "exit status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	memcpy(&code, buf, sizeof(int));
	if (code == 0)
		return 0;
	buf[got] = '\0';
	return kerr_set(e, code, "%s", buf + sizeof(int));
}
