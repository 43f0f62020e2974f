/*
 * timeutil.h — clocks and timestamps. Durations use the monotonic clock;
 * only what is shown to people or stored in objects uses wall time.
 */
#ifndef KAIRN_UTIL_TIMEUTIL_H
#define KAIRN_UTIL_TIMEUTIL_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds. */
int64_t time_mono_ms(void);
/* Writes "2026-01-01T00:00:00Z" (20 chars + NUL) for t. */
void time_rfc3339(time_t t, char out[32]);
/* Parses "YYYY-MM-DDTHH:MM:SSZ" (fractional seconds and offsets accepted). */
int time_parse_rfc3339(const char *s, time_t *out);
void time_sleep_ms(int64_t ms);
/* Parses a Go-style duration ("90s", "10m", "1h30m", "250ms", "1.5h") into
 * milliseconds. A bare number is seconds. Returns 0 or -1. */
int time_parse_duration_ms(const char *s, int64_t *out_ms);
/* Writes ms the way Go's time.Duration.String() does, to millisecond
 * precision: "720h0m0s", "1m30s", "1.5s", "250ms", "0s". */
void time_format_duration(int64_t ms, char out[32]);

#endif
