/*
 * inventory.h — what a source applied last time (DESIGN §3).
 *
 * One ConfigMap per source, kairn-inventory-<source> in kairn's namespace,
 * lists the keys (group/kind/namespace/name) of every object the last
 * successful sync applied, with the commit, the time and a hash of the
 * desired set. Keys go in data["objects"] as sorted lines, or gzip+base64 in
 * binaryData["objects.gz"] once they pass INVENTORY_GZIP_THRESHOLD bytes.
 * Prune candidates are computed against this list, so a corrupt inventory is
 * an error (never "empty"): kairn never prunes on doubt.
 */
#ifndef KAIRN_SYNC_INVENTORY_H
#define KAIRN_SYNC_INVENTORY_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "util/err.h"

#define INVENTORY_GZIP_THRESHOLD (64 * 1024)
#define INVENTORY_MAX_BYTES (16 * 1024 * 1024)

struct inventory {
	char **keys;        /* sorted, unique */
	size_t n;
	char *commit;       /* Git commit of the sync that wrote it */
	char *synced_at;    /* RFC 3339 */
	char *desired_hash; /* sha256 hex of the desired set */
};

/* Name of the inventory ConfigMap for a source ("kairn-inventory-<source>").
 * Fails when the source is not a DNS-1123 label. */
int inventory_name(const char *source, char *out, size_t outlen, struct kerr *e);

/* Builds the ConfigMap (apiVersion, kind, metadata, data/binaryData). Keys
 * need not be sorted; the result is. */
int inventory_to_configmap(const struct inventory *inv, const char *source, const char *ns,
			   cJSON **out, struct kerr *e);

/* Reads a ConfigMap built by inventory_to_configmap. Anything unexpected is
 * KAIRN_EPARSE with the reason. */
int inventory_from_configmap(const cJSON *cm, struct inventory *out, struct kerr *e);

/* 1 if key is listed (binary search). */
int inventory_contains(const struct inventory *inv, const char *key);

void inventory_free(struct inventory *inv);

#endif
