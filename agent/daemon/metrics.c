/*
 * metrics.c — see metrics.h. Label values are escaped per the exposition
 * format (backslash, double quote, newline).
 */
#include "metrics.h"
#include "util/err.h"
#include "util/vec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_LABELS 4

struct series {
	char **values;
	double value;      /* counter/gauge, or histogram sum */
	uint64_t count;    /* histogram observations */
	uint64_t *buckets; /* cumulative counts, one per bound */
};

struct metric_family {
	struct metrics *owner;
	char *name;
	char *help;
	enum metric_type type;
	char *labels[METRICS_MAX_LABELS];
	size_t n_labels;
	double *bounds;
	size_t n_bounds;
	struct series *series;
	size_t n_series, cap_series;
	struct metric_family *next;
};

struct metrics {
	pthread_mutex_t lock;
	struct metric_family *head, *tail;
};

int metrics_new(struct metrics **out)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return KAIRN_ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

static void family_free(struct metric_family *f)
{
	for (size_t i = 0; i < f->n_series; i++) {
		for (size_t j = 0; j < f->n_labels; j++)
			free(f->series[i].values[j]);
		free(f->series[i].values);
		free(f->series[i].buckets);
	}
	for (size_t j = 0; j < f->n_labels; j++)
		free(f->labels[j]);
	free(f->series);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (struct metric_family *f = m->head, *next; f; f = next) {
		next = f->next;
		family_free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

struct metric_family *metrics_register(struct metrics *m, const char *name, const char *help,
				       enum metric_type type, const char *const *label_names,
				       const double *buckets, size_t n_buckets)
{
	struct metric_family *f;
	int ok = 1;

	pthread_mutex_lock(&m->lock);
	for (f = m->head; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			ok = 0;
	pthread_mutex_unlock(&m->lock);
	if (!ok)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->owner = m;
	f->type = type;
	f->name = strdup(name);
	f->help = strdup(help);
	ok = f->name && f->help;
	for (size_t i = 0; ok && label_names && label_names[i]; i++) {
		if (i == METRICS_MAX_LABELS || !(f->labels[i] = strdup(label_names[i])))
			ok = 0;
		else
			f->n_labels++;
	}
	if (ok && type == METRIC_HISTOGRAM && n_buckets) {
		f->bounds = malloc(n_buckets * sizeof(double));
		ok = f->bounds != NULL;
		if (ok) {
			memcpy(f->bounds, buckets, n_buckets * sizeof(double));
			f->n_bounds = n_buckets;
		}
	}
	if (!ok) {
		family_free(f);
		return NULL;
	}
	pthread_mutex_lock(&m->lock);
	if (m->tail)
		m->tail->next = f;
	else
		m->head = f;
	m->tail = f;
	pthread_mutex_unlock(&m->lock);
	return f;
}

/* Finds or creates the series for label values; caller holds the lock. */
static struct series *series_get(struct metric_family *f, const char *const *vals, int create)
{
	struct series *s;

	for (size_t i = 0; i < f->n_series; i++) {
		size_t j;

		for (j = 0; j < f->n_labels; j++)
			if (strcmp(f->series[i].values[j], vals[j]) != 0)
				break;
		if (j == f->n_labels)
			return &f->series[i];
	}
	if (!create)
		return NULL;
	if (vec_reserve(f->series, f->n_series, f->cap_series, 4))
		return NULL;
	s = &f->series[f->n_series];
	memset(s, 0, sizeof(*s));
	s->values = calloc(f->n_labels ? f->n_labels : 1, sizeof(char *));
	if (!s->values)
		return NULL;
	for (size_t j = 0; j < f->n_labels; j++) {
		if (!(s->values[j] = strdup(vals[j])))
			goto fail;
	}
	if (f->n_bounds && !(s->buckets = calloc(f->n_bounds, sizeof(uint64_t))))
		goto fail;
	f->n_series++;
	return s;
fail:
	for (size_t j = 0; j < f->n_labels; j++)
		free(s->values[j]);
	free(s->values);
	return NULL;
}

static int update(struct metric_family *f, const char *const *vals, double v, int how)
{
	struct series *s;
	int rc = 0;

	pthread_mutex_lock(&f->owner->lock);
	s = series_get(f, vals, 1);
	if (!s) {
		rc = KAIRN_ENOMEM;
	} else if (how == 0) {
		s->value += v;
	} else if (how == 1) {
		s->value = v;
	} else {
		s->value += v;
		s->count++;
		for (size_t i = 0; i < f->n_bounds; i++)
			if (v <= f->bounds[i])
				s->buckets[i]++;
	}
	pthread_mutex_unlock(&f->owner->lock);
	return rc;
}

int metrics_add(struct metric_family *f, const char *const *vals, double delta)
{
	return update(f, vals, delta, 0);
}

int metrics_set(struct metric_family *f, const char *const *vals, double value)
{
	return update(f, vals, value, 1);
}

int metrics_observe(struct metric_family *f, const char *const *vals, double value)
{
	return update(f, vals, value, 2);
}

double metrics_get(struct metric_family *f, const char *const *vals)
{
	struct series *s;
	double v;

	pthread_mutex_lock(&f->owner->lock);
	s = series_get(f, vals, 0);
	v = s ? s->value : 0;
	pthread_mutex_unlock(&f->owner->lock);
	return v;
}

static int put_escaped(struct kbuf *b, const char *s)
{
	for (; *s; s++) {
		int rc = *s == '\\' ? kbuf_puts(b, "\\\\") :
			 *s == '"' ? kbuf_puts(b, "\\\"") :
			 *s == '\n' ? kbuf_puts(b, "\\n") : kbuf_putc(b, *s);

		if (rc)
			return rc;
	}
	return 0;
}

/* Writes {a="x",b="y"[,le="..."]}; nothing when there are no labels. */
static int put_labels(struct kbuf *b, const struct metric_family *f, const struct series *s,
		      const char *le)
{
	int rc = 0;

	if (!f->n_labels && !le)
		return 0;
	rc |= kbuf_putc(b, '{');
	for (size_t j = 0; j < f->n_labels; j++) {
		rc |= kbuf_printf(b, "%s%s=\"", j ? "," : "", f->labels[j]);
		rc |= put_escaped(b, s->values[j]);
		rc |= kbuf_putc(b, '"');
	}
	if (le)
		rc |= kbuf_printf(b, "%sle=\"%s\"", f->n_labels ? "," : "", le);
	rc |= kbuf_putc(b, '}');
	return rc ? KAIRN_ENOMEM : 0;
}

static int put_number(struct kbuf *b, double v)
{
	if (isinf(v))
		return kbuf_puts(b, v > 0 ? "+Inf" : "-Inf");
	if (v == (double)(long long)v && fabs(v) < 1e15)
		return kbuf_printf(b, "%lld", (long long)v);
	return kbuf_printf(b, "%.9g", v);
}

int metrics_render(struct metrics *m, struct kbuf *out)
{
	static const char *const type_names[] = { "counter", "gauge", "histogram" };
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	for (struct metric_family *f = m->head; f && !rc; f = f->next) {
		rc |= kbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				  type_names[f->type]);
		for (size_t i = 0; i < f->n_series && !rc; i++) {
			const struct series *s = &f->series[i];

			if (f->type != METRIC_HISTOGRAM) {
				rc |= kbuf_puts(out, f->name);
				rc |= put_labels(out, f, s, NULL);
				rc |= kbuf_putc(out, ' ');
				rc |= put_number(out, s->value);
				rc |= kbuf_putc(out, '\n');
				continue;
			}
			for (size_t k = 0; k <= f->n_bounds; k++) {
				char le[32];

				if (k < f->n_bounds)
					snprintf(le, sizeof(le), "%g", f->bounds[k]);
				else
					snprintf(le, sizeof(le), "+Inf");
				rc |= kbuf_printf(out, "%s_bucket", f->name);
				rc |= put_labels(out, f, s, le);
				rc |= kbuf_printf(out, " %llu\n",
						  (unsigned long long)(k < f->n_bounds ? s->buckets[k] : s->count));
			}
			rc |= kbuf_printf(out, "%s_sum", f->name);
			rc |= put_labels(out, f, s, NULL);
			rc |= kbuf_putc(out, ' ');
			rc |= put_number(out, s->value);
			rc |= kbuf_printf(out, "\n%s_count", f->name);
			rc |= put_labels(out, f, s, NULL);
			rc |= kbuf_printf(out, " %llu\n", (unsigned long long)s->count);
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc ? KAIRN_ENOMEM : 0;
}
