/*
 * resp.c — building kubesim's answers: JSON bodies and v1 Status objects
 * with the reason, code and details kubectl expects. Pure formatting.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "api.h"

void ks_resp_json(struct ks_resp *o, int code, char *json)
{
	free(o->body);
	o->code = json ? code : 500;
	o->body = json ? json : strdup("{}");
	o->len = o->body ? strlen(o->body) : 0;
	o->ctype = "application/json";
}

void ks_resp_obj(struct ks_resp *o, int code, const cJSON *obj)
{
	ks_resp_json(o, code, cJSON_PrintUnformatted(obj));
}

void ks_resp_ver(struct ks_resp *o, int code, const struct ks_ver *v)
{
	char *copy = malloc(v->len + 1);
	if (copy)
		memcpy(copy, v->json, v->len + 1);
	ks_resp_json(o, code, copy);
}

void ks_res_qualified(const struct ks_res *res, char *out, size_t n)
{
	if (!res)
		snprintf(out, n, "%s", "");
	else if (*res->group)
		snprintf(out, n, "%s.%s", res->resource, res->group);
	else
		snprintf(out, n, "%s", res->resource);
}

void ks_resp_status_causes(struct ks_resp *o, int code, const char *reason, const struct ks_res *res,
			   const char *name, cJSON *causes, const char *msg)
{
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", msg);
	cJSON_AddStringToObject(st, "reason", reason);
	if (res || name || causes) {
		cJSON *d = cJSON_AddObjectToObject(st, "details");
		if (name)
			cJSON_AddStringToObject(d, "name", name);
		if (res) {
			cJSON_AddStringToObject(d, "group", res->group);
			cJSON_AddStringToObject(d, "kind", res->resource);
		}
		if (causes)
			cJSON_AddItemToObject(d, "causes", causes);
	}
	cJSON_AddNumberToObject(st, "code", code);
	ks_resp_obj(o, code, st);
	cJSON_Delete(st);
}

void ks_resp_status(struct ks_resp *o, int code, const char *reason, const struct ks_res *res,
		    const char *name, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ks_resp_status_causes(o, code, reason, res, name, NULL, msg);
}

void ks_resp_warn(struct ks_resp *o, const char *msg)
{
	if (o->warnings.len)
		kbuf_putc(&o->warnings, '\n');
	kbuf_puts(&o->warnings, "299 - \"");
	for (const char *p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			kbuf_putc(&o->warnings, '\\');
		kbuf_putc(&o->warnings, *p == '\n' ? ' ' : *p);
	}
	kbuf_putc(&o->warnings, '"');
}
