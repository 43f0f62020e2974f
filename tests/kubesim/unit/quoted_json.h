/*
 * quoted_json.h — for kubesim's patch tests: JSON written with ' for " so
 * that test cases stay readable. Included by test programs only (each is
 * one translation unit, so the helper is static).
 */
#ifndef KUBESIM_UNIT_QUOTED_JSON_H
#define KUBESIM_UNIT_QUOTED_JSON_H

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Parses text after turning every ' into "; fails the test on bad JSON. */
static cJSON *parse_q(const char *text)
{
	char *s = strdup(text);
	cJSON *j;

	assert_non_null(s);
	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = cJSON_Parse(s);
	if (!j)
		fail_msg("bad test JSON: %s", text);
	free(s);
	return j;
}

#endif
