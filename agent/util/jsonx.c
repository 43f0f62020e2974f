/*
 * jsonx.c — see jsonx.h.
 */
#include "jsonx.h"

#include <stdlib.h>
#include <string.h>

cJSON *jsonx_get(const cJSON *obj, const char *path)
{
	const char *p = path;
	const cJSON *cur = obj;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];

		if (n >= sizeof(key) || !cJSON_IsObject(cur))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return (cJSON *)cur;
}

const char *jsonx_str(const cJSON *obj, const char *path)
{
	const cJSON *n = jsonx_get(obj, path);

	return cJSON_IsString(n) ? n->valuestring : NULL;
}

long jsonx_long(const cJSON *obj, const char *path, long def)
{
	const cJSON *n = jsonx_get(obj, path);

	return cJSON_IsNumber(n) ? (long)n->valuedouble : def;
}

cJSON *jsonx_ensure_obj(cJSON *obj, const char *path)
{
	const char *p = path;
	cJSON *cur = obj;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[256];
		cJSON *next;

		if (n >= sizeof(key) || !cJSON_IsObject(cur))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		next = cJSON_GetObjectItemCaseSensitive(cur, key);
		if (!next) {
			next = cJSON_AddObjectToObject(cur, key);
		} else if (!cJSON_IsObject(next)) {
			return NULL;
		}
		cur = next;
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

int jsonx_set(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return -1;
	if (cJSON_GetObjectItemCaseSensitive(obj, key))
		return cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item) ? 0 : -1;
	return cJSON_AddItemToObject(obj, key, item) ? 0 : -1;
}

char *jsonx_print(const cJSON *obj)
{
	return cJSON_PrintUnformatted(obj);
}
