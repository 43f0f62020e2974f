/*
 * diag.c — recording loader errors and warnings (see diag.h).
 */
#include "diag.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stdlib.h>

void diag_add(char ***list, size_t *n, char *msg)
{
	char **nl;

	if (!msg)
		return;
	nl = realloc(*list, (*n + 1) * sizeof(*nl));
	if (!nl) {
		free(msg);
		return;
	}
	*list = nl;
	(*list)[(*n)++] = msg;
}

static void diag_vadd(struct manifest_diag *d, int error, const char *fmt, va_list ap)
{
	struct kbuf b = { 0 };
	size_t before = error ? d->nerrors : d->nwarnings;

	kbuf_vprintf(&b, fmt, ap);
	if (error)
		diag_add(&d->errors, &d->nerrors, kbuf_steal(&b));
	else
		diag_add(&d->warnings, &d->nwarnings, kbuf_steal(&b));
	if ((error ? d->nerrors : d->nwarnings) == before)
		d->lost++;
}

void diag_error(struct manifest_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 1, fmt, ap);
	va_end(ap);
}

void diag_warning(struct manifest_diag *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, 0, fmt, ap);
	va_end(ap);
}

void manifest_diag_free(struct manifest_diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nerrors; i++)
		free(d->errors[i]);
	for (size_t i = 0; i < d->nwarnings; i++)
		free(d->warnings[i]);
	free(d->errors);
	free(d->warnings);
	d->errors = d->warnings = NULL;
	d->nerrors = d->nwarnings = d->lost = 0;
}
