/*
 * url.c — the few facts agent/git needs from a remote URL: its transport,
 * and for SSH the login, host and port (known_hosts is keyed by host:port).
 * It also redacts userinfo for messages. It must never return or print a
 * password it found in a URL.
 */
#include "git/git_internal.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Copies [s, s+n) into out (size cap); fails if it does not fit. */
static int copy_part(char *out, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* Parses "[user@]host[:port]" (authority, length n) or, for scp-like URLs,
 * "[user@]host" with no port. IPv6 literals come in brackets. */
static int parse_authority(const char *a, size_t n, int allow_port, struct git_url_info *out)
{
	const char *at = memchr(a, '@', n), *h, *end = a + n, *colon = NULL;

	out->port = 22;
	out->user[0] = '\0';
	if (at) {
		if (copy_part(out->user, sizeof(out->user), a, (size_t)(at - a)))
			return -1;
		h = at + 1;
	} else {
		h = a;
	}
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));

		if (!rb || copy_part(out->host, sizeof(out->host), h + 1, (size_t)(rb - h - 1)))
			return -1;
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb + 1 != end)
			return -1;
	} else {
		colon = allow_port ? memchr(h, ':', (size_t)(end - h)) : NULL;
		if (copy_part(out->host, sizeof(out->host), h, (size_t)((colon ? colon : end) - h)))
			return -1;
	}
	if (colon) {
		char *pe;
		long p = strtol(colon + 1, &pe, 10);

		if (pe != end || p <= 0 || p > 65535)
			return -1;
		out->port = (int)p;
	}
	return out->host[0] ? 0 : -1;
}

int git_url_parse(const char *url, struct git_url_info *out, struct kerr *e)
{
	char shown[512];

	memset(out, 0, sizeof(*out));
	git_url_redact(url, shown, sizeof(shown));
	if (!url || !*url)
		return kerr_set(e, KAIRN_EINVAL, "repository URL is empty");
	if (prefix(url, "https://") || prefix(url, "http://")) {
		out->kind = GIT_URL_HTTP;
		return 0;
	}
	if (prefix(url, "git://")) {
		out->kind = GIT_URL_GIT;
		return 0;
	}
	if (prefix(url, "file://") || url[0] == '/' || prefix(url, "./") || prefix(url, "../")) {
		out->kind = GIT_URL_LOCAL;
		return 0;
	}
	if (prefix(url, "ssh://") || prefix(url, "git+ssh://") || prefix(url, "ssh+git://")) {
		const char *a = strstr(url, "://") + 3;
		size_t n = strcspn(a, "/");

		out->kind = GIT_URL_SSH;
		if (a[n] != '/' || parse_authority(a, n, 1, out))
			return kerr_set(e, KAIRN_EINVAL, "repository URL %s: cannot parse user, host and port", shown);
		return 0;
	}
	if (!strstr(url, "://")) {
		/* scp-like "user@host:path": a colon before the first slash. */
		const char *colon = strchr(url, ':'), *slash = strchr(url, '/');

		if (colon && (!slash || colon < slash) && colon != url) {
			out->kind = GIT_URL_SSH;
			if (parse_authority(url, (size_t)(colon - url), 0, out))
				return kerr_set(e, KAIRN_EINVAL, "repository URL %s: cannot parse user and host", shown);
			return 0;
		}
	}
	return kerr_set(e, KAIRN_EINVAL,
			"repository URL %s: unsupported (use https://, http://, ssh://, user@host:path, "
			"git://, file:// or an absolute path)", shown);
}

void git_url_redact(const char *url, char *out, size_t n)
{
	const char *sch = url ? strstr(url, "://") : NULL, *auth, *at, *colon;
	size_t alen;

	if (!n)
		return;
	if (!url) {
		snprintf(out, n, "(none)");
		return;
	}
	if (!sch) {
		snprintf(out, n, "%s", url);
		return;
	}
	auth = sch + 3;
	alen = strcspn(auth, "/");
	at = memchr(auth, '@', alen);
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon) {
		snprintf(out, n, "%s", url);
		return;
	}
	snprintf(out, n, "%.*s:***%s", (int)(colon - url), url, at);
}
