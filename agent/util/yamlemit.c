/*
 * yamlemit.c — see yamlemit.h.
 */
#include "yamlemit.h"
#include "err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static int write_handler(void *data, unsigned char *buf, size_t size)
{
	return kbuf_append(data, buf, size) == 0;
}

/* Would a plain scalar be read back as something other than this string? */
static int needs_quotes(const char *s)
{
	static const char *const special[] = { "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No",
					       "NO", "true", "True", "TRUE", "false", "False", "FALSE",
					       "on", "On", "ON", "off", "Off", "OFF", "null", "Null",
					       "NULL", "~", "" };
	const char *p = s;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (strcmp(s, special[i]) == 0)
			return 1;
	if (*p == '+' || *p == '-' || *p == '.')
		p++;
	if (isdigit((unsigned char)*p))
		return 1; /* numbers, octal, dates, 1:20 ... */
	return 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, int force_quote)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = force_quote || needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
								    YAML_ANY_SCALAR_STYLE;

	if (strchr(s, '\n') && !force_quote)
		style = YAML_LITERAL_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style);
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int emit_value(yaml_emitter_t *em, const cJSON *v, int depth)
{
	yaml_event_t ev;
	const cJSON *c;
	char num[64];

	if (depth > 200)
		return -1;
	if (cJSON_IsObject(v)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    v->child ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -1;
		cJSON_ArrayForEach(c, v) {
			if (emit_scalar(em, c->string, 0) || emit_value(em, c, depth + 1))
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	}
	if (cJSON_IsArray(v)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     v->child ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return -1;
		cJSON_ArrayForEach(c, v)
			if (emit_value(em, c, depth + 1))
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	}
	if (cJSON_IsString(v))
		return emit_scalar(em, v->valuestring, 0);
	if (cJSON_IsRaw(v)) {
		yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v->valuestring,
					     (int)strlen(v->valuestring), 1, 1, YAML_PLAIN_SCALAR_STYLE);
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d == (double)(long long)d && d < 9e15 && d > -9e15)
			snprintf(num, sizeof(num), "%lld", (long long)d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
	} else if (cJSON_IsBool(v)) {
		snprintf(num, sizeof(num), "%s", cJSON_IsTrue(v) ? "true" : "false");
	} else {
		snprintf(num, sizeof(num), "null");
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)num, (int)strlen(num), 1, 1,
				     YAML_PLAIN_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

int yaml_emit(const cJSON *v, struct kbuf *out)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = KAIRN_EINVAL;

	if (!yaml_emitter_initialize(&em))
		return KAIRN_ENOMEM;
	yaml_emitter_set_output(&em, write_handler, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_indent(&em, 2);
	yaml_emitter_set_width(&em, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (!yaml_emitter_emit(&em, &ev))
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (!yaml_emitter_emit(&em, &ev) || emit_value(&em, v, 0))
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (!yaml_emitter_emit(&em, &ev))
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (!yaml_emitter_emit(&em, &ev) || !yaml_emitter_flush(&em))
		goto out;
	rc = 0;
out:
	yaml_emitter_delete(&em);
	return rc;
}
