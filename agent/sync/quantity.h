/*
 * quantity.h — Kubernetes resource quantities ("500m", "1Gi", "2e3", 4) as
 * exact integers of nano-units, so that "0.5" == "500m" and "1Gi" == "1024Mi"
 * compare equal the way the API server would canonicalise them.
 */
#ifndef KAIRN_SYNC_QUANTITY_H
#define KAIRN_SYNC_QUANTITY_H

#include <cjson/cJSON.h>

/* Parses a quantity string. Returns 0 and sets *nanos, or -1 if s is not a
 * quantity (or overflows). Fractions finer than a nano-unit round up, as the
 * API server does. */
int quantity_parse(const char *s, __int128 *nanos);

/* Parses a JSON string or number as a quantity. */
int quantity_of_json(const cJSON *v, __int128 *nanos);

#endif
