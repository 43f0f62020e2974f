/*
 * known_hosts.c — checks an SSH server's host key against an OpenSSH
 * known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT").
 *
 * Supported: plain and hashed ("|1|salt|hash", HMAC-SHA1) host names,
 * comma-separated patterns with * and ? wildcards (literal brackets) and ! negation,
 * "[host]:port" for ports other than 22, @revoked. @cert-authority lines are
 * skipped (kairn does not verify host certificates). The file is read fresh
 * on every check, so rotating it needs no restart.
 * It must never accept a key on a parse doubt: a malformed line matches
 * nothing.
 */
#include "git/git_internal.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kh_result { KH_NONE = 0, KH_MATCH, KH_CHANGED, KH_REVOKED };

/* "|1|<b64 salt>|<b64 HMAC-SHA1(salt, name)>" against name. */
static int hashed_host_matches(const char *pat, const char *name)
{
	char *copy = strdup(pat + 3), *bar;
	unsigned char *salt = NULL, *want = NULL, mac[EVP_MAX_MD_SIZE];
	size_t salt_len = 0, want_len = 0;
	unsigned int mac_len = 0;
	int ok = 0;

	if (!copy)
		return 0;
	bar = strchr(copy, '|');
	if (!bar)
		goto out;
	*bar = '\0';
	salt = b64_decode(copy, &salt_len);
	want = b64_decode(bar + 1, &want_len);
	if (!salt || !want || salt_len > 64)
		goto out;
	if (!HMAC(EVP_sha1(), salt, (int)salt_len, (const unsigned char *)name, strlen(name), mac,
		  &mac_len))
		goto out;
	ok = mac_len == want_len && memcmp(mac, want, mac_len) == 0;
out:
	free(copy);
	free(salt);
	free(want);
	return ok;
}

/* OpenSSH host patterns know only '*' and '?' (no [classes]: "[host]:port"
 * is literal), and compare case-insensitively. */
static int pattern_matches(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (;; s++) {
				if (pattern_matches(p + 1, s))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (!*s || (*p != '?' && tolower((unsigned char)*p) != tolower((unsigned char)*s)))
			return 0;
	}
	return *s == '\0';
}

/* The host field of one line against name ("host" or "[host]:port"). A
 * negated pattern that matches vetoes the line. */
static int host_field_matches(char *field, const char *name)
{
	int matched = 0;
	char *save = NULL;

	if (strncmp(field, "|1|", 3) == 0)
		return hashed_host_matches(field, name);
	for (char *p = strtok_r(field, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int neg = *p == '!';

		if (pattern_matches(neg ? p + 1 : p, name)) {
			if (neg)
				return 0;
			matched = 1;
		}
	}
	return matched;
}

/* The key type name at the start of an SSH key blob (uint32 length + name). */
static int blob_type(const unsigned char *b, size_t n, const char **type, size_t *tlen)
{
	size_t l;

	if (n < 4)
		return -1;
	l = ((size_t)b[0] << 24) | ((size_t)b[1] << 16) | ((size_t)b[2] << 8) | b[3];
	if (l > n - 4)
		return -1;
	*type = (const char *)b + 4;
	*tlen = l;
	return 0;
}

/* One line: returns what it says about (name, key). */
static enum kh_result check_line(char *line, const char *name, const unsigned char *key,
				 size_t keylen, const char *key_type, size_t key_type_len)
{
	char *save = NULL, *f[3];
	int revoked = 0;
	unsigned char *blob;
	size_t blob_len;
	enum kh_result r;

	line += strspn(line, " \t");
	if (*line == '#' || *line == '\0')
		return KH_NONE;
	f[0] = strtok_r(line, " \t", &save);
	if (f[0] && f[0][0] == '@') {
		if (strcmp(f[0], "@revoked") != 0)
			return KH_NONE; /* @cert-authority: not supported */
		revoked = 1;
		f[0] = strtok_r(NULL, " \t", &save);
	}
	f[1] = strtok_r(NULL, " \t", &save);
	f[2] = strtok_r(NULL, " \t", &save);
	if (!f[0] || !f[1] || !f[2])
		return KH_NONE;
	if (!revoked && !host_field_matches(f[0], name))
		return KH_NONE;
	if (strlen(f[1]) != key_type_len || memcmp(f[1], key_type, key_type_len) != 0)
		return KH_NONE; /* an entry for another key type says nothing */
	blob = b64_decode(f[2], &blob_len);
	if (!blob)
		return KH_NONE;
	if (blob_len == keylen && memcmp(blob, key, keylen) == 0)
		r = revoked ? KH_REVOKED : KH_MATCH;
	else
		r = revoked ? KH_NONE : KH_CHANGED;
	free(blob);
	return r;
}

int git_known_hosts_check(const char *known_hosts_path, const char *host, int port,
			  const unsigned char *key, size_t keylen, struct kerr *e)
{
	char name[300], *text = NULL, *save = NULL;
	const char *key_type;
	size_t key_type_len;
	enum kh_result verdict = KH_NONE;
	int lineno = 0, bad_line = 0, rc;
	struct kerr rerr;

	if (port == 22)
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
	if (blob_type(key, keylen, &key_type, &key_type_len))
		return kerr_set(e, KAIRN_ETLS, "host key for %s:%d: malformed key from server", host, port);
	rc = fs_read_all(known_hosts_path, &text, NULL, &rerr);
	if (rc)
		return kerr_set(e, KAIRN_ETLS, "host key for %s:%d cannot be checked: %s", host, port,
				rerr.msg);
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		enum kh_result r;

		lineno++;
		r = check_line(l, name, key, keylen, key_type, key_type_len);
		if (r == KH_REVOKED) {
			verdict = r;
			bad_line = lineno;
			break; /* revocation wins over any match */
		}
		if (r == KH_MATCH && verdict != KH_MATCH)
			verdict = r;
		if (r == KH_CHANGED && verdict == KH_NONE) {
			verdict = r;
			bad_line = lineno;
		}
	}
	free(text);
	switch (verdict) {
	case KH_MATCH:
		return 0;
	case KH_REVOKED:
		return kerr_set(e, KAIRN_ETLS, "host key for %s:%d is revoked in known_hosts %s (line %d)",
				host, port, known_hosts_path, bad_line);
	case KH_CHANGED:
		return kerr_set(e, KAIRN_ETLS,
				"host key for %s:%d does not match known_hosts %s (line %d): the server's "
				"%.*s key changed, or someone is intercepting the connection",
				host, port, known_hosts_path, bad_line, (int)key_type_len, key_type);
	default:
		return kerr_set(e, KAIRN_ETLS, "host key for %s:%d not in known_hosts %s (%.*s)", host,
				port, known_hosts_path, (int)key_type_len, key_type);
	}
}
