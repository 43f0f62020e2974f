/*
 * metrics.h — a small Prometheus registry: counters, gauges and histograms
 * with labels, rendered in the text exposition format (version 0.0.4) for
 * GET /metrics.
 *
 * The registry is an object the daemon owns (no global state); every
 * operation takes its mutex, so sync workers, watch threads and the HTTP
 * server may update and render it concurrently. Label cardinality is low
 * (sources, verbs, codes), so series live in a per-family array.
 */
#ifndef KAIRN_DAEMON_METRICS_H
#define KAIRN_DAEMON_METRICS_H

#include <stddef.h>
#include "util/buf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics;
struct metric_family;

int metrics_new(struct metrics **out);
void metrics_free(struct metrics *m);

/* Registers a family. label_names is NULL-terminated (may be empty). For a
 * histogram, buckets are upper bounds in increasing order (+Inf implied).
 * Returns NULL on ENOMEM or a duplicate name. */
struct metric_family *metrics_register(struct metrics *m, const char *name, const char *help,
				       enum metric_type type, const char *const *label_names,
				       const double *buckets, size_t n_buckets);

/* label_values: as many as the family's label names, in the same order. */
int metrics_add(struct metric_family *f, const char *const *label_values, double delta);
int metrics_set(struct metric_family *f, const char *const *label_values, double value);
int metrics_observe(struct metric_family *f, const char *const *label_values, double value);
/* Reads a counter or gauge (0 if the series does not exist); for tests and /readyz. */
double metrics_get(struct metric_family *f, const char *const *label_values);

/* Appends the whole registry in Prometheus text format. */
int metrics_render(struct metrics *m, struct kbuf *out);

#endif
