/*
 * inventory.c — inventory ConfigMap encoding. See inventory.h.
 */
#include "inventory.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/gzip.h"
#include "util/jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63) /* it is also a label value */
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

int inventory_name(const char *source, char *out, size_t outlen, struct kerr *e)
{
	if (!source || !is_dns_label(source))
		return kerr_set(e, KAIRN_EINVAL,
				"source name \"%s\" must be a DNS-1123 label (lower-case letters, digits, '-')",
				source ? source : "");
	snprintf(out, outlen, "kairn-inventory-%s", source);
	return 0;
}

static int add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, v ? v : "") ? 0 : -1;
}

int inventory_to_configmap(const struct inventory *inv, const char *source, const char *ns,
			   cJSON **out, struct kerr *e)
{
	char name[300];
	char **sorted = NULL;
	struct kbuf lines = { 0 };
	unsigned char *gz = NULL;
	size_t gzlen;
	char *b64 = NULL;
	cJSON *cm = NULL, *meta, *labels, *ann, *data;
	int rc;

	*out = NULL;
	if ((rc = inventory_name(source, name, sizeof(name), e)))
		return rc;
	sorted = malloc((inv->n ? inv->n : 1) * sizeof(char *));
	if (!sorted)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	memcpy(sorted, inv->keys, inv->n * sizeof(char *));
	qsort(sorted, inv->n, sizeof(char *), cmp_keys);
	for (size_t i = 0; i < inv->n; i++) {
		if (i && strcmp(sorted[i], sorted[i - 1]) == 0)
			continue;
		if (kbuf_puts(&lines, sorted[i]) || kbuf_putc(&lines, '\n')) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
	}
	cm = cJSON_CreateObject();
	rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (!cm || add_str(cm, "apiVersion", "v1") || add_str(cm, "kind", "ConfigMap"))
		goto out;
	meta = cJSON_AddObjectToObject(cm, "metadata");
	if (!meta || add_str(meta, "name", name) || add_str(meta, "namespace", ns))
		goto out;
	labels = cJSON_AddObjectToObject(meta, "labels");
	ann = cJSON_AddObjectToObject(meta, "annotations");
	if (!labels || !ann || add_str(labels, "app.kubernetes.io/managed-by", "kairn") ||
	    add_str(labels, "kairn.dev/inventory", source) ||
	    add_str(ann, "kairn.dev/commit", inv->commit) ||
	    add_str(ann, "kairn.dev/synced-at", inv->synced_at) ||
	    add_str(ann, "kairn.dev/desired-hash", inv->desired_hash))
		goto out;
	if (lines.len < INVENTORY_GZIP_THRESHOLD) {
		data = cJSON_AddObjectToObject(cm, "data");
		if (!data || add_str(data, "objects", lines.data ? lines.data : ""))
			goto out;
	} else {
		if ((rc = gzip_compress(lines.data, lines.len, &gz, &gzlen, e)))
			goto out;
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		b64 = b64_encode(gz, gzlen);
		data = cJSON_AddObjectToObject(cm, "binaryData");
		if (!b64 || !data || add_str(data, "objects.gz", b64))
			goto out;
	}
	kerr_clear(e);
	rc = 0;
	*out = cm;
	cm = NULL;
out:
	cJSON_Delete(cm);
	free(sorted);
	free(gz);
	free(b64);
	kbuf_free(&lines);
	return rc;
}

static char *dup_annotation(const cJSON *cm, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(jsonx_get(cm, "metadata.annotations"), key);

	return strdup(cJSON_IsString(a) ? a->valuestring : "");
}

/* Splits newline-separated keys into inv->keys; checks they are sorted. */
static int parse_lines(char *text, struct inventory *inv, struct kerr *e)
{
	size_t cap = 16;

	inv->keys = malloc(cap * sizeof(char *));
	if (!inv->keys)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return kerr_set(e, KAIRN_EPARSE, "inventory: last line is not terminated");
		*nl = '\0';
		if (line == nl)
			return kerr_set(e, KAIRN_EPARSE, "inventory: empty line");
		if (strchr(line, '/') == NULL)
			return kerr_set(e, KAIRN_EPARSE, "inventory: \"%s\" is not an object key", line);
		if (inv->n && strcmp(inv->keys[inv->n - 1], line) >= 0)
			return kerr_set(e, KAIRN_EPARSE, "inventory: keys not sorted at \"%s\"", line);
		if (inv->n == cap) {
			char **grown = realloc(inv->keys, (cap *= 2) * sizeof(char *));

			if (!grown)
				return kerr_set(e, KAIRN_ENOMEM, "out of memory");
			inv->keys = grown;
		}
		inv->keys[inv->n] = strdup(line);
		if (!inv->keys[inv->n])
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		inv->n++;
	}
	return 0;
}

int inventory_from_configmap(const cJSON *cm, struct inventory *inv, struct kerr *e)
{
	const char *plain = jsonx_str(cm, "data.objects");
	const cJSON *bin = cJSON_GetObjectItemCaseSensitive(jsonx_get(cm, "binaryData"), "objects.gz");
	unsigned char *gz = NULL, *text = NULL;
	size_t gzlen, textlen;
	int rc;

	memset(inv, 0, sizeof(*inv));
	if (!plain && !cJSON_IsString(bin))
		return kerr_set(e, KAIRN_EPARSE, "inventory: neither data.objects nor binaryData[objects.gz]");
	if (plain) {
		text = (unsigned char *)strdup(plain);
		if (!text)
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	} else {
		gz = b64_decode(bin->valuestring, &gzlen);
		if (!gz)
			return kerr_set(e, KAIRN_EPARSE, "inventory: binaryData[objects.gz] is not base64");
		rc = gzip_decompress(gz, gzlen, INVENTORY_MAX_BYTES, &text, &textlen, e);
		free(gz);
		if (rc)
			return kerr_prefix(e, "inventory");
	}
	rc = parse_lines((char *)text, inv, e);
	free(text);
	if (!rc) {
		inv->commit = dup_annotation(cm, "kairn.dev/commit");
		inv->synced_at = dup_annotation(cm, "kairn.dev/synced-at");
		inv->desired_hash = dup_annotation(cm, "kairn.dev/desired-hash");
		if (!inv->commit || !inv->synced_at || !inv->desired_hash)
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	if (rc)
		inventory_free(inv);
	return rc;
}

int inventory_contains(const struct inventory *inv, const char *key)
{
	return inv->n && bsearch(&key, inv->keys, inv->n, sizeof(char *), cmp_keys) != NULL;
}

void inventory_free(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n; i++)
		free(inv->keys[i]);
	free(inv->keys);
	free(inv->commit);
	free(inv->synced_at);
	free(inv->desired_hash);
	memset(inv, 0, sizeof(*inv));
}
