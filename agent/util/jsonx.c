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

/* Copies the next pointer segment (unescaped) into seg; returns the rest of
 * the pointer after it, or NULL when the segment is too long. */
static const char *pointer_segment(const char *p, char *seg, size_t n)
{
	size_t j = 0;

	for (p++; *p && *p != '/'; p++) {
		char c = *p;

		if (c == '~' && (p[1] == '0' || p[1] == '1'))
			c = *++p == '0' ? '~' : '/';
		if (j + 1 >= n)
			return NULL;
		seg[j++] = c;
	}
	seg[j] = '\0';
	return p;
}

static cJSON *pointer_child(const cJSON *node, const char *seg)
{
	char *end;
	long idx;

	if (cJSON_IsObject(node))
		return cJSON_GetObjectItemCaseSensitive(node, seg);
	if (!cJSON_IsArray(node) || !*seg)
		return NULL;
	idx = strtol(seg, &end, 10);
	if (*end || idx < 0)
		return NULL;
	return cJSON_GetArrayItem(node, (int)idx);
}

cJSON *jsonx_pointer_get(const cJSON *root, const char *ptr)
{
	const cJSON *cur = root;
	char seg[512];

	if (!ptr || (*ptr && *ptr != '/'))
		return NULL;
	while (cur && *ptr == '/') {
		ptr = pointer_segment(ptr, seg, sizeof(seg));
		if (!ptr)
			return NULL;
		cur = pointer_child(cur, seg);
	}
	return (cJSON *)cur;
}

int jsonx_pointer_remove(cJSON *root, const char *ptr)
{
	cJSON *parent = root, *child;
	char seg[512];

	if (!ptr || *ptr != '/')
		return 0;
	for (;;) {
		ptr = pointer_segment(ptr, seg, sizeof(seg));
		if (!ptr)
			return 0;
		child = pointer_child(parent, seg);
		if (!child)
			return 0;
		if (*ptr != '/')
			break;
		parent = child;
	}
	cJSON_Delete(cJSON_DetachItemViaPointer(parent, child));
	return 1;
}
