/*
 * status.h — is a hook done? Reads a live hook object's status (DESIGN §5).
 *
 * A Job is done when its Complete condition is True, failed when its Failed
 * condition is True (with the condition's reason and message, so a sync
 * failure says why the migration failed). A Pod hook is done when its phase
 * is Succeeded, failed when Failed. Anything else is done as soon as it
 * exists (a ConfigMap hook, say).
 */
#ifndef KAIRN_HOOKS_STATUS_H
#define KAIRN_HOOKS_STATUS_H

#include <cjson/cJSON.h>
#include <stddef.h>

enum hook_state { HOOK_RUNNING = 0, HOOK_SUCCEEDED, HOOK_FAILED };

/* Evaluates live; on HOOK_FAILED writes a one-line reason into why. */
enum hook_state hook_state_of(const cJSON *live, char *why, size_t whylen);

/* One line on where a hook stands, for failure and timeout messages: a
 * Job's conditions ("Failed=True (BackoffLimitExceeded), Complete=False")
 * and pod counts ("active 1, succeeded 0, failed 0"), a Pod's phase, or
 * "no status yet". */
void hook_status_summary(const cJSON *live, char *out, size_t outlen);

#endif
