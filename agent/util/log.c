/*
 * log.c — leveled logging to stderr in text or JSON.
 *
 * Global state is limited to the three settings below, set once from main()
 * before threads start; writes take a mutex so lines from worker threads never
 * interleave.
 */
#include "log.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

static enum log_level g_level = LOG_LVL_INFO;
static enum log_format g_format = LOG_FMT_TEXT;
static FILE *g_stream;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

void log_set_level(enum log_level lvl) { g_level = lvl; }
enum log_level log_get_level(void) { return g_level; }
void log_set_format(enum log_format fmt) { g_format = fmt; }
void log_set_stream(FILE *f) { g_stream = f; }

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOG_LVL_OFF; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_FMT_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}

static void timestamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + len, n - len, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char ts[40];
	char msg[4096];
	FILE *out = g_stream ? g_stream : stderr;
	va_list ap;

	if (lvl < g_level || lvl >= LOG_LVL_OFF)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	timestamp(ts, sizeof(ts));

	pthread_mutex_lock(&g_lock);
	if (g_format == LOG_FMT_JSON) {
		cJSON *o = cJSON_CreateObject();
		char *line;

		cJSON_AddStringToObject(o, "ts", ts);
		cJSON_AddStringToObject(o, "level", level_names[lvl]);
		cJSON_AddStringToObject(o, "msg", msg);
		line = cJSON_PrintUnformatted(o);
		if (line)
			fprintf(out, "%s\n", line);
		cJSON_free(line);
		cJSON_Delete(o);
	} else {
		fprintf(out, "%s %-5s %s\n", ts, level_names[lvl], msg);
	}
	fflush(out);
	pthread_mutex_unlock(&g_lock);
}
