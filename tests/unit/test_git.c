/*
 * test_git.c — agent/git against local repositories made with the git CLI in
 * a temporary directory: clone, ref resolution (branch, tag, annotated tag,
 * short and full SHA, HEAD), fetching new commits, errors for bad refs and
 * paths, checkout content, cache reuse, plus the known_hosts checker, URL
 * parsing/redaction and the fetch deadline against a silent server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "git/git_internal.h"
#include "git/gitsrc.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"

struct fixture {
	char dir[64];     /* temp root */
	char origin[128]; /* working repository acting as the remote */
	char url[160];    /* file:// URL of origin */
	char cache[128];
};

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Captures one line of a command's output (a SHA). */
static void sh_out(char *out, size_t n, const char *cmd)
{
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	assert_non_null(fgets(out, (int)n, p));
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

#define GITC "git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main"

static void commit_file(struct fixture *f, const char *path, const char *content, const char *msg)
{
	sh("mkdir -p \"$(dirname %s/%s)\" && printf '%%s' '%s' > %s/%s && " GITC
	   " -C %s add -A && " GITC " -C %s commit -qm '%s'",
	   f->origin, path, content, f->origin, path, f->origin, f->origin, msg);
}

static void head_sha(struct fixture *f, const char *rev, char out[41])
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "git -C %s rev-parse %s", f->origin, rev);
	sh_out(out, 41, cmd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/kairn-git-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->origin, sizeof(f->origin), "%s/origin", f->dir);
	snprintf(f->url, sizeof(f->url), "file://%s", f->origin);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	sh(GITC " init -q %s", f->origin);
	commit_file(f, "deploy/app.yaml", "replicas: 1\n", "first: one replica");
	sh("git -C %s tag v1", f->origin);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sh("rm -rf %s", f->dir);
	free(f);
	return 0;
}

/* open + sync with ref/path; returns the sync's code, rev filled. */
static int sync_ref(struct fixture *f, const char *ref, const char *path, struct git_revision *rev,
		    struct kerr *e)
{
	struct git_source_opts o = { .url = f->url, .ref = ref, .path = path, .cache_dir = f->cache };
	struct git_source *s = NULL;
	int rc = git_source_open(&s, &o, e);

	if (rc == 0)
		rc = git_source_sync(s, rev, e);
	git_source_free(s);
	return rc;
}

static char *read_text(const char *dir, const char *rel)
{
	char p[1024], *s = NULL;
	struct kerr e;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if (fs_read_all(p, &s, NULL, &e))
		return NULL;
	return s;
}

static void test_sync_branch_checks_out_the_commit_tree(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	char want[41], *txt;

	head_sha(f, "main", want);
	assert_int_equal(sync_ref(f, "main", "deploy", &rev, &e), 0);
	assert_string_equal(rev.sha, want);
	assert_string_equal(rev.summary, "first: one replica");
	assert_true(rev.time > 1600000000);
	assert_int_equal(rev.fetched, 1);
	assert_non_null(strstr(rev.worktree_path, want));
	txt = read_text(rev.worktree_path, "app.yaml");
	assert_non_null(txt);
	assert_string_equal(txt, "replicas: 1\n");
	free(txt);
	git_revision_free(&rev);
}

static void test_sync_resolves_tags_shas_and_head(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	char first[41], second[41], shortsha[8];

	head_sha(f, "main", first);
	commit_file(f, "deploy/app.yaml", "replicas: 2\n", "second");
	sh("git -C %s tag -a v2 -m 'annotated'", f->origin);
	head_sha(f, "main", second);

	assert_int_equal(sync_ref(f, "v1", NULL, &rev, &e), 0);
	assert_string_equal(rev.sha, first);
	git_revision_free(&rev);
	assert_int_equal(sync_ref(f, "v2", NULL, &rev, &e), 0); /* annotated: peeled */
	assert_string_equal(rev.sha, second);
	git_revision_free(&rev);
	assert_int_equal(sync_ref(f, "HEAD", NULL, &rev, &e), 0);
	assert_string_equal(rev.sha, second);
	git_revision_free(&rev);
	snprintf(shortsha, sizeof(shortsha), "%.7s", first);
	assert_int_equal(sync_ref(f, shortsha, NULL, &rev, &e), 0);
	assert_string_equal(rev.sha, first);
	git_revision_free(&rev);
	assert_int_equal(sync_ref(f, first, NULL, &rev, &e), 0);
	assert_string_equal(rev.sha, first);
	assert_int_equal(rev.fetched, 0); /* a full SHA already cached needs no fetch */
	git_revision_free(&rev);
}

static void test_sync_head_follows_the_remote_default_branch(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	char want[41];

	sh(GITC " -C %s checkout -qb release", f->origin);
	commit_file(f, "deploy/app.yaml", "replicas: 9\n", "release only");
	head_sha(f, "release", want);
	assert_int_equal(sync_ref(f, NULL, NULL, &rev, &e), 0);
	assert_string_equal(rev.sha, want);
	git_revision_free(&rev);
}

static void test_sync_fetches_new_commit_and_reuses_cache(void **state)
{
	struct fixture *f = *state;
	struct git_source_opts o = { .url = f->url, .ref = "main", .path = "deploy", .cache_dir = f->cache };
	struct git_source *s = NULL;
	struct git_revision r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct kerr e = { 0 };
	struct stat st1, st2;
	char *txt;

	assert_int_equal(git_source_open(&s, &o, &e), 0);
	assert_int_equal(git_source_sync(s, &r1, &e), 0);
	assert_int_equal(stat(r1.checkout_root, &st1), 0);
	commit_file(f, "deploy/app.yaml", "replicas: 3\n", "scale to three");
	assert_int_equal(git_source_sync(s, &r2, &e), 0);
	assert_string_not_equal(r1.sha, r2.sha);
	assert_string_equal(r2.summary, "scale to three");
	txt = read_text(r2.worktree_path, "app.yaml");
	assert_string_equal(txt, "replicas: 3\n");
	free(txt);
	/* The previous checkout survives one sync (a reader may hold it). */
	assert_int_equal(stat(r1.checkout_root, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	git_source_free(s);

	/* A second source on the same URL reuses the cache: same checkout dir. */
	s = NULL;
	assert_int_equal(git_source_open(&s, &o, &e), 0);
	assert_int_equal(git_source_sync(s, &r3, &e), 0);
	assert_string_equal(r3.checkout_root, r2.checkout_root);
	assert_int_equal(stat(r2.checkout_root, &st1), 0);
	git_source_free(s);
	git_revision_free(&r1);
	git_revision_free(&r2);
	git_revision_free(&r3);
}

static void test_sync_prunes_checkouts_older_than_the_previous(void **state)
{
	struct fixture *f = *state;
	struct git_revision r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	struct kerr e = { 0 };
	struct stat st;

	assert_int_equal(sync_ref(f, "main", NULL, &r1, &e), 0);
	commit_file(f, "x", "2", "two");
	assert_int_equal(sync_ref(f, "main", NULL, &r2, &e), 0);
	commit_file(f, "x", "3", "three");
	assert_int_equal(sync_ref(f, "main", NULL, &r3, &e), 0);
	assert_int_not_equal(stat(r1.checkout_root, &st), 0);
	assert_int_equal(stat(r2.checkout_root, &st), 0);
	assert_int_equal(stat(r3.checkout_root, &st), 0);
	git_revision_free(&r1);
	git_revision_free(&r2);
	git_revision_free(&r3);
}

static void test_sync_unknown_ref_names_ref_and_url(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	char want[512];

	assert_int_equal(sync_ref(f, "v9", NULL, &rev, &e), KAIRN_ENOTFOUND);
	snprintf(want, sizeof(want), "ref 'v9' not found in %s", f->url);
	assert_string_equal(e.msg, want);
	git_revision_free(&rev);
	assert_int_equal(sync_ref(f, "deadbeef", NULL, &rev, &e), KAIRN_ENOTFOUND);
	git_revision_free(&rev);
}

static void test_sync_missing_or_file_path_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };

	assert_int_equal(sync_ref(f, "main", "nope", &rev, &e), KAIRN_ENOTFOUND);
	assert_non_null(strstr(e.msg, "path 'nope' not found at commit"));
	git_revision_free(&rev);
	assert_int_equal(sync_ref(f, "main", "deploy/app.yaml", &rev, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "is not a directory"));
	git_revision_free(&rev);
}

static void test_open_rejects_escaping_path_and_unknown_scheme(void **state)
{
	struct fixture *f = *state;
	struct git_source_opts o = { .url = f->url, .path = "deploy/../..", .cache_dir = f->cache };
	struct git_source *s = NULL;
	struct kerr e = { 0 };

	assert_int_equal(git_source_open(&s, &o, &e), KAIRN_EINVAL);
	assert_null(s);
	o.path = "/etc";
	assert_int_equal(git_source_open(&s, &o, &e), KAIRN_EINVAL);
	o.path = NULL;
	o.url = "ftp://example.com/repo.git";
	assert_int_equal(git_source_open(&s, &o, &e), KAIRN_EINVAL);
	assert_non_null(strstr(e.msg, "unsupported"));
}

static void test_sync_missing_repository_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };

	snprintf(f->url, sizeof(f->url), "file://%s/absent", f->dir);
	assert_true(sync_ref(f, "main", NULL, &rev, &e) < 0);
	assert_non_null(strstr(e.msg, "fetch file://"));
	git_revision_free(&rev);
}

static void test_symlinks_in_repository_become_plain_files(void **state)
{
	struct fixture *f = *state;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	struct stat st;
	char p[1024];

	sh("ln -s /etc/passwd %s/deploy/evil.yaml && " GITC " -C %s add -A && " GITC
	   " -C %s commit -qm link", f->origin, f->origin, f->origin);
	assert_int_equal(sync_ref(f, "main", "deploy", &rev, &e), 0);
	snprintf(p, sizeof(p), "%s/evil.yaml", rev.worktree_path);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	git_revision_free(&rev);
}

/* A server that accepts connections (the kernel does) and never answers. */
static void test_fetch_from_silent_server_times_out(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct git_source_opts o = { .cache_dir = f->cache, .timeout_sec = 1 };
	struct git_source *s = NULL;
	struct git_revision rev = { 0 };
	struct kerr e = { 0 };
	char url[128];

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/repo.git", ntohs(a.sin_port));
	o.url = url;
	assert_int_equal(git_source_open(&s, &o, &e), 0);
	assert_int_equal(git_source_sync(s, &rev, &e), KAIRN_ETIMEOUT);
	assert_non_null(strstr(e.msg, "timed out after 1 s"));
	git_revision_free(&rev);
	git_source_free(s);
	close(fd);
}

/* ---- known_hosts ---- */

static const unsigned char test_key[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
					  '1', '9', 0, 0, 0, 4, 1, 2, 3, 4 };
static const unsigned char other_key[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
					   '1', '9', 0, 0, 0, 4, 9, 9, 9, 9 };

static int check_with(struct fixture *f, const char *content, const char *host, int port,
		      const unsigned char *key, size_t len, struct kerr *e)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/known_hosts", f->dir);
	assert_int_equal(fs_write_atomic(p, content, strlen(content), 0600, e), 0);
	return git_known_hosts_check(p, host, port, key, len, e);
}

static void test_known_hosts_matches_plain_and_bracketed_port(void **state)
{
	struct fixture *f = *state;
	char *b64 = b64_encode(test_key, sizeof(test_key)), line[512];
	struct kerr e = { 0 };

	snprintf(line, sizeof(line), "# comment\nother.example ssh-rsa AAAA\n[127.0.0.1]:2222 ssh-ed25519 %s\n",
		 b64);
	assert_int_equal(check_with(f, line, "127.0.0.1", 2222, test_key, sizeof(test_key), &e), 0);
	/* Same host, other port: unknown. */
	assert_int_equal(check_with(f, line, "127.0.0.1", 22, test_key, sizeof(test_key), &e), KAIRN_ETLS);
	assert_non_null(strstr(e.msg, "host key for 127.0.0.1:22 not in known_hosts"));
	snprintf(line, sizeof(line), "git.example,*.corp.example ssh-ed25519 %s\n", b64);
	assert_int_equal(check_with(f, line, "a.corp.example", 22, test_key, sizeof(test_key), &e), 0);
	snprintf(line, sizeof(line), "*.example,!bad.example ssh-ed25519 %s\n", b64);
	assert_int_equal(check_with(f, line, "bad.example", 22, test_key, sizeof(test_key), &e), KAIRN_ETLS);
	free(b64);
}

static void test_known_hosts_matches_hashed_host(void **state)
{
	struct fixture *f = *state;
	unsigned char salt[20] = "0123456789abcdefghij", mac[20];
	unsigned int mlen = 0;
	const char *name = "[localhost]:2200";
	char *ksalt = b64_encode(salt, sizeof(salt)), *kmac, *kkey = b64_encode(test_key, sizeof(test_key));
	char line[512];
	struct kerr e = { 0 };

	HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)name, strlen(name), mac, &mlen);
	kmac = b64_encode(mac, mlen);
	snprintf(line, sizeof(line), "|1|%s|%s ssh-ed25519 %s\n", ksalt, kmac, kkey);
	assert_int_equal(check_with(f, line, "localhost", 2200, test_key, sizeof(test_key), &e), 0);
	assert_int_equal(check_with(f, line, "localhost", 2201, test_key, sizeof(test_key), &e), KAIRN_ETLS);
	free(ksalt);
	free(kmac);
	free(kkey);
}

static void test_known_hosts_refuses_changed_and_revoked_keys(void **state)
{
	struct fixture *f = *state;
	char *b64 = b64_encode(test_key, sizeof(test_key)), line[512];
	struct kerr e = { 0 };

	snprintf(line, sizeof(line), "git.example ssh-ed25519 %s\n", b64);
	assert_int_equal(check_with(f, line, "git.example", 22, other_key, sizeof(other_key), &e),
			 KAIRN_ETLS);
	assert_non_null(strstr(e.msg, "does not match known_hosts"));
	assert_non_null(strstr(e.msg, "line 1"));
	snprintf(line, sizeof(line), "git.example ssh-ed25519 %s\n@revoked * ssh-ed25519 %s\n", b64, b64);
	assert_int_equal(check_with(f, line, "git.example", 22, test_key, sizeof(test_key), &e), KAIRN_ETLS);
	assert_non_null(strstr(e.msg, "revoked"));
	assert_int_equal(git_known_hosts_check("/nonexistent/kh", "h", 22, test_key, sizeof(test_key), &e),
			 KAIRN_ETLS);
	free(b64);
}

/* ---- URLs and secrets ---- */

static void test_url_redact_hides_password_only(void **state)
{
	char out[256];

	(void)state;
	git_url_redact("https://user:s3cret@host/r.git", out, sizeof(out));
	assert_string_equal(out, "https://user:***@host/r.git");
	git_url_redact("https://host/r.git", out, sizeof(out));
	assert_string_equal(out, "https://host/r.git");
	git_url_redact("git@host:org/r.git", out, sizeof(out));
	assert_string_equal(out, "git@host:org/r.git");
}

static void test_url_parse_ssh_forms(void **state)
{
	struct git_url_info u;
	struct kerr e = { 0 };

	(void)state;
	assert_int_equal(git_url_parse("ssh://root@127.0.0.1:2222/srv/r.git", &u, &e), 0);
	assert_int_equal(u.kind, GIT_URL_SSH);
	assert_string_equal(u.user, "root");
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 2222);
	assert_int_equal(git_url_parse("git@github.com:org/r.git", &u, &e), 0);
	assert_string_equal(u.user, "git");
	assert_string_equal(u.host, "github.com");
	assert_int_equal(u.port, 22);
	assert_int_equal(git_url_parse("ssh://[::1]:2200/r", &u, &e), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 2200);
	assert_int_equal(git_url_parse("ssh://h:99999/r", &u, &e), KAIRN_EINVAL);
	assert_int_equal(git_url_parse("git://127.0.0.1:9418/r", &u, &e), 0);
	assert_int_equal(u.kind, GIT_URL_GIT);
}

static void test_secret_file_is_trimmed_and_single_line(void **state)
{
	struct fixture *f = *state;
	char p[256], *s = NULL;
	struct kerr e = { 0 };

	snprintf(p, sizeof(p), "%s/tok", f->dir);
	assert_int_equal(fs_write_atomic(p, "abc123\n", 7, 0600, &e), 0);
	assert_int_equal(git_secret_read_file(p, &s, &e), 0);
	assert_string_equal(s, "abc123");
	git_secret_free(s);
	assert_int_equal(fs_write_atomic(p, "a\nb\n", 4, 0600, &e), 0);
	assert_int_equal(git_secret_read_file(p, &s, &e), KAIRN_EINVAL);
	assert_null(s);
	assert_null(strstr(e.msg, "a\nb"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sync_branch_checks_out_the_commit_tree),
		T(test_sync_resolves_tags_shas_and_head),
		T(test_sync_head_follows_the_remote_default_branch),
		T(test_sync_fetches_new_commit_and_reuses_cache),
		T(test_sync_prunes_checkouts_older_than_the_previous),
		T(test_sync_unknown_ref_names_ref_and_url),
		T(test_sync_missing_or_file_path_is_an_error),
		T(test_open_rejects_escaping_path_and_unknown_scheme),
		T(test_sync_missing_repository_is_an_error),
		T(test_symlinks_in_repository_become_plain_files),
		T(test_fetch_from_silent_server_times_out),
		T(test_known_hosts_matches_plain_and_bracketed_port),
		T(test_known_hosts_matches_hashed_host),
		T(test_known_hosts_refuses_changed_and_revoked_keys),
		T(test_url_redact_hides_password_only),
		T(test_url_parse_ssh_forms),
		T(test_secret_file_is_trimmed_and_single_line),
	};

	return cmocka_run_group_tests_name("git", tests, NULL, NULL);
}
