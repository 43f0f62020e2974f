/*
 * yamlemit.h — cJSON to YAML text through libyaml's emitter, for people to
 * read (kairn diff, kairn render -o yaml). Block style, two-space indent,
 * keys in the object's own order, strings quoted whenever YAML 1.1 would
 * read them as something else ("on", "0644", "1e3", "").
 */
#ifndef KAIRN_UTIL_YAMLEMIT_H
#define KAIRN_UTIL_YAMLEMIT_H

#include <cjson/cJSON.h>
#include "util/buf.h"

/* Appends one YAML document (no "---") for v to out. */
int yaml_emit(const cJSON *v, struct kbuf *out);

#endif
