/*
 * timeutil.c — see timeutil.h.
 */
#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t time_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void time_rfc3339(time_t t, char out[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int time_parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	int sign = 0, oh = 0, om = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

void time_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int time_parse_duration_ms(const char *s, int64_t *out_ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		{ "ms", 1 }, { "us", 0.001 }, { "ns", 0.000001 },
		{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	};
	double total = 0;
	const char *p = s;
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (end != s && *end == '\0') { /* a bare number: seconds */
		if (v < 0 || v > 9.2e12)
			return -1;
		*out_ms = (int64_t)(v * 1000);
		return 0;
	}
	while (*p) {
		size_t i;

		v = strtod(p, &end);
		if (end == p || v < 0 || *p == '+' || *p == '-')
			return -1;
		p = end;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (strncmp(p, units[i].unit, n) == 0) {
				total += v * units[i].ms;
				p += n;
				break;
			}
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
	}
	if (total > 9.2e15)
		return -1;
	*out_ms = (int64_t)total;
	return 0;
}

void time_format_duration(int64_t ms, char out[32])
{
	const char *sign = "";
	long long h, m, sec;
	int frac;
	char fs[8] = "";

	if (ms == 0) {
		snprintf(out, 32, "0s");
		return;
	}
	if (ms < 0) {
		sign = "-";
		ms = ms == INT64_MIN ? INT64_MAX : -ms;
	}
	if (ms < 1000) {
		snprintf(out, 32, "%s%dms", sign, (int)ms);
		return;
	}
	h = (long long)(ms / 3600000);
	m = (long long)(ms / 60000 % 60);
	sec = (long long)(ms / 1000 % 60);
	frac = (int)(ms % 1000);
	if (frac) { /* Go trims trailing zeros of the fraction: 250 -> ".25" */
		int digits = 3;

		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		snprintf(fs, sizeof(fs), ".%0*d", digits, frac);
	}
	if (h)
		snprintf(out, 32, "%s%lldh%lldm%lld%ss", sign, h, m, sec, fs);
	else if (m)
		snprintf(out, 32, "%s%lldm%lld%ss", sign, m, sec, fs);
	else
		snprintf(out, 32, "%s%lld%ss", sign, sec, fs);
}
