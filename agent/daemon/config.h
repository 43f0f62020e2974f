/*
 * config.h — `kairn run --config kairn.yaml`: several sources in one agent.
 *
 *     sources:
 *       - name: apps              # required; label kairn.dev/source and inventory
 *         repo: https://host/org/deploy.git   # or  dir: /path  (exactly one)
 *         ref: main               # optional (default HEAD)
 *         path: prod              # optional, inside the repository
 *         recurse: true           # optional (default true): subdirectories too
 *         namespace: apps         # optional default namespace for objects without one
 *         prune: true             # optional (default true)
 *         selfHeal: true          # optional (default true)
 *         interval: 1m            # optional (default: --interval)
 *
 * Git credentials, the cache directory and prune limits come from the
 * command line and apply to every source. Strict: an unknown key, a wrong
 * type, a missing or duplicate name is an error naming file:line and field.
 * Parsing only: what it must never do is touch the network or the cluster.
 */
#ifndef KAIRN_DAEMON_CONFIG_H
#define KAIRN_DAEMON_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "util/err.h"

struct daemon_config_source {
	const char *name, *repo, *dir, *ref, *path, *ns; /* NULL when absent */
	int recurse;
	int prune;        /* 1 unless "prune: false" */
	int self_heal;    /* 1 unless "selfHeal: false" */
	int64_t interval_ms; /* 0: the agent's --interval */
	int line;         /* where the entry starts */
};

struct daemon_config {
	struct daemon_config_source *sources;
	size_t n;
	void *priv;       /* the decoded document the strings point into */
};

int daemon_config_load(const char *path, struct daemon_config **out, struct kerr *e);
/* Same from a buffer (name used in messages). */
int daemon_config_parse(const char *buf, size_t len, const char *name, struct daemon_config **out,
			struct kerr *e);
void daemon_config_free(struct daemon_config *c);

#endif
