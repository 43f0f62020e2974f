/*
 * log.h — the leveled logger: the one piece of global mutable state kairn has.
 *
 * Writes to stderr, one line per message, with an RFC 3339 UTC timestamp, in
 * text ("2026-01-01T00:00:00.123Z info  sync: applied 3 objects") or JSON
 * ({"ts":..,"level":..,"msg":..}). It must never be handed a token or Secret
 * data: callers log names, not values.
 */
#ifndef KAIRN_UTIL_LOG_H
#define KAIRN_UTIL_LOG_H

#include <stdio.h>

enum log_level { LOG_LVL_DEBUG = 0, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR, LOG_LVL_OFF };
enum log_format { LOG_FMT_TEXT = 0, LOG_FMT_JSON };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
void log_set_format(enum log_format fmt);
/* Redirects output (tests); NULL restores stderr. */
void log_set_stream(FILE *f);

/* Parses "debug|info|warn|error|off"; returns 0 or -1. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)

#endif
