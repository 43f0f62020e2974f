/*
 * report.c — what a sync did (or would do), for people and for pipelines.
 *
 * Text: one line per object that changes (or every object with verbose),
 * the paths that differ under each update, hooks, warnings and a summary.
 * JSON: the same as one object (schema in docs/ci.md).
 */
#include "sync.h"
#include "util/jsonx.h"
#include "util/textdiff.h"
#include "manifest/manifest.h"

#include <stdio.h>
#include <string.h>

static int ref_text(struct kbuf *b, const struct sync_entry *en)
{
	return kbuf_printf(b, "%s %s%s%s", en->kind, en->ns ? en->ns : "", en->ns ? "/" : "", en->name);
}

static const char *hook_state_text(const struct hook_outcome *h, int json)
{
	if (h->planned)
		return json ? "Planned" : "would run";
	if (h->state == HOOK_SUCCEEDED)
		return json ? "Succeeded" : "succeeded";
	return h->state == HOOK_FAILED ? (json ? "Failed" : "FAILED") : (json ? "Running" : "running");
}

/* "hook      pre-sync Job ns/name succeeded (1.2s)", the reason and the
 * object's conditions under a failure. */
static int hook_text(struct kbuf *out, const struct hook_outcome *h)
{
	const cJSON *obj = h->hook->obj;
	const char *ns = jsonx_str(obj, "metadata.namespace");
	int rc = kbuf_printf(out, "hook      %s %s %s%s%s %s", hook_phase_name(h->phase),
			     jsonx_str(obj, "kind"), ns ? ns : "", ns ? "/" : "",
			     h->name, hook_state_text(h, 0));

	if (h->planned)
		rc |= kbuf_printf(out, " (weight %d, %s)\n", h->hook->spec.weight,
				  h->hook->origin ? h->hook->origin : "?");
	else
		rc |= kbuf_printf(out, " (%.1fs)%s%s\n", (double)h->duration_ms / 1000, h->why[0] ? ": " : "",
				  h->why);
	if (h->status[0])
		rc |= kbuf_printf(out, "            %s\n", h->status);
	return rc;
}

int sync_report_text(const struct sync_plan *p, const struct sync_outcome *o, int dry_run,
		     int verbose, struct kbuf *out)
{
	size_t n_desired = 0;
	int rc = 0;

	for (size_t i = 0; i < p->n_warnings; i++)
		rc |= kbuf_printf(out, "warning: %s\n", p->warnings[i]);
	for (size_t i = 0; i < p->n; i++) {
		const struct sync_entry *en = &p->entries[i];
		const char *verb = sync_action_name(en->action);

		if (en->action == SYNC_UNCHANGED && !verbose)
			continue;
		if (en->action == SYNC_UNCHANGED && !en->desired)
			continue; /* an inventory entry already gone */
		rc |= kbuf_printf(out, "%-9s ", verb);
		rc |= ref_text(out, en);
		if (en->reason)
			rc |= kbuf_printf(out, "  (%s)", en->reason);
		if (en->error)
			rc |= kbuf_printf(out, "  FAILED: %s", en->error);
		rc |= kbuf_putc(out, '\n');
		if (en->action == SYNC_UPDATE && en->diff.paths.data) {
			const char *line = en->diff.paths.data;

			while (*line) {
				const char *nl = strchr(line, '\n');
				size_t n = nl ? (size_t)(nl - line) : strlen(line);

				rc |= kbuf_printf(out, "            %.*s\n", (int)n, line);
				line += n + (nl ? 1 : 0);
			}
			if (en->diff.n_paths > 20)
				rc |= kbuf_printf(out, "            ... and %zu more\n", en->diff.n_paths - 20);
		}
	}
	for (size_t i = 0; o && i < o->hooks.n; i++)
		rc |= hook_text(out, &o->hooks.runs[i]);
	if (p->prune_refused)
		rc |= kbuf_printf(out, "prune refused: %s\n", p->prune_refusal);
	for (size_t i = 0; i < p->n; i++)
		n_desired += p->entries[i].desired != NULL;
	rc |= kbuf_printf(out, "%s%zu objects in Git: %zu to create, %zu to update, %zu unchanged, %zu to prune, %zu skipped",
			  dry_run ? "dry run: " : "", n_desired, p->counts[SYNC_CREATE],
			  p->counts[SYNC_UPDATE], p->counts[SYNC_UNCHANGED], p->counts[SYNC_PRUNE],
			  p->counts[SYNC_SKIP]);
	if (o)
		rc |= kbuf_printf(out, "; applied %d, failed %d, pruned %d in %.2fs", o->applied,
				  o->failed + o->prune_failed, o->pruned, (double)o->duration_ms / 1000);
	rc |= kbuf_putc(out, '\n');
	return rc ? KAIRN_ENOMEM : 0;
}

static cJSON *entry_json(const struct sync_entry *en)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "action", sync_action_name(en->action));
	cJSON_AddStringToObject(j, "apiVersion", en->api_version ? en->api_version : "");
	cJSON_AddStringToObject(j, "kind", en->kind);
	if (en->ns)
		cJSON_AddStringToObject(j, "namespace", en->ns);
	cJSON_AddStringToObject(j, "name", en->name);
	cJSON_AddStringToObject(j, "source", en->origin);
	if (en->reason)
		cJSON_AddStringToObject(j, "reason", en->reason);
	if (en->error)
		cJSON_AddStringToObject(j, "error", en->error);
	if (en->action == SYNC_UPDATE && en->diff.paths.data) {
		cJSON *d = cJSON_AddArrayToObject(j, "diff");
		const char *line = en->diff.paths.data;

		while (*line) {
			const char *nl = strchr(line, '\n');
			size_t n = nl ? (size_t)(nl - line) : strlen(line);
			char buf[2048];

			snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), line);
			cJSON_AddItemToArray(d, cJSON_CreateString(buf));
			line += n + (nl ? 1 : 0);
		}
	}
	return j;
}

cJSON *sync_report_hooks_json(const struct hook_report *rep)
{
	cJSON *hooks = cJSON_CreateArray();

	for (size_t i = 0; hooks && rep && i < rep->n; i++) {
		const struct hook_outcome *h = &rep->runs[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "phase", hook_phase_name(h->phase));
		cJSON_AddStringToObject(j, "kind", jsonx_str(h->hook->obj, "kind"));
		if (jsonx_str(h->hook->obj, "metadata.namespace"))
			cJSON_AddStringToObject(j, "namespace", jsonx_str(h->hook->obj, "metadata.namespace"));
		cJSON_AddStringToObject(j, "name", h->name);
		cJSON_AddStringToObject(j, "state", hook_state_text(h, 1));
		cJSON_AddNumberToObject(j, "weight", h->hook->spec.weight);
		if (h->hook->origin)
			cJSON_AddStringToObject(j, "source", h->hook->origin);
		if (h->why[0])
			cJSON_AddStringToObject(j, "message", h->why);
		if (h->status[0])
			cJSON_AddStringToObject(j, "status", h->status);
		if (h->conditions)
			cJSON_AddItemToObject(j, "conditions", cJSON_Duplicate(h->conditions, 1));
		if (!h->planned)
			cJSON_AddNumberToObject(j, "durationSeconds", (double)h->duration_ms / 1000);
		cJSON_AddItemToArray(hooks, j);
	}
	return hooks;
}

int sync_report_hooks_text(const struct hook_report *rep, struct kbuf *out)
{
	int rc = 0;

	for (size_t i = 0; rep && i < rep->n; i++)
		rc |= hook_text(out, &rep->runs[i]);
	return rc ? KAIRN_ENOMEM : 0;
}

cJSON *sync_report_json(const struct sync_plan *p, const struct sync_outcome *o, int dry_run)
{
	cJSON *r = cJSON_CreateObject(), *counts, *objs, *hooks, *warn;

	if (!r)
		return NULL;
	cJSON_AddBoolToObject(r, "dryRun", dry_run);
	cJSON_AddBoolToObject(r, "changes", sync_plan_has_changes(p));
	counts = cJSON_AddObjectToObject(r, "counts");
	for (int a = 0; a < SYNC_ACTION_COUNT; a++)
		cJSON_AddNumberToObject(counts, sync_action_name(a), (double)p->counts[a]);
	if (o) {
		cJSON *res = cJSON_AddObjectToObject(r, "result");

		cJSON_AddNumberToObject(res, "applied", o->applied);
		cJSON_AddNumberToObject(res, "failed", o->failed);
		cJSON_AddNumberToObject(res, "pruned", o->pruned);
		cJSON_AddNumberToObject(res, "pruneFailed", o->prune_failed);
		cJSON_AddNumberToObject(res, "durationSeconds", (double)o->duration_ms / 1000);
	}
	if (p->prune_refused)
		cJSON_AddStringToObject(r, "pruneRefused", p->prune_refusal);
	objs = cJSON_AddArrayToObject(r, "objects");
	for (size_t i = 0; i < p->n; i++)
		if (p->entries[i].desired || p->entries[i].action != SYNC_UNCHANGED)
			cJSON_AddItemToArray(objs, entry_json(&p->entries[i]));
	hooks = sync_report_hooks_json(o ? &o->hooks : NULL);
	if (hooks)
		cJSON_AddItemToObject(r, "hooks", hooks);
	warn = cJSON_AddArrayToObject(r, "warnings");
	for (size_t i = 0; i < p->n_warnings; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(p->warnings[i]));
	return r;
}

/* Secret values never reach a terminal or a CI log: both sides show "***",
 * marked (before)/(after) when the value changes, as kubectl diff does. */
static void mask_secret(cJSON *mine, const cJSON *other, const char *tag)
{
	static const char *const maps[] = { "data", "stringData" };

	for (size_t i = 0; i < 2; i++) {
		cJSON *m = cJSON_GetObjectItemCaseSensitive(mine, maps[i]), *v, *next;
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(other, maps[i]);

		for (v = m ? m->child : NULL; v; v = next) {
			const cJSON *ov = cJSON_GetObjectItemCaseSensitive(o, v->string);
			char masked[32];

			next = v->next;
			snprintf(masked, sizeof(masked), "***%s", cJSON_Compare(v, ov, 1) ? "" : tag);
			if (cJSON_IsString(v)) {
				cJSON_SetValuestring(v, masked);
			} else { /* not a string (invalid data): never shown either */
				cJSON *n = cJSON_CreateString(masked);

				if (!n)
					continue;
				n->string = v->string; /* the key moves to the new item */
				v->string = NULL;
				cJSON_ReplaceItemViaPointer(m, v, n);
			}
		}
	}
}

int sync_entry_diff_text(const struct sync_entry *en, struct kbuf *out)
{
	struct kbuf a = { 0 }, b = { 0 }, la = { 0 }, lb = { 0 };
	cJSON *live = NULL, *want = NULL;
	int rc = KAIRN_ENOMEM;

	if (en->action != SYNC_CREATE && en->action != SYNC_UPDATE && en->action != SYNC_PRUNE)
		return 0;
	want = en->desired ? cJSON_Parse(en->desired) : NULL;
	if (en->desired && !want)
		return KAIRN_ENOMEM; /* printed by cJSON: only memory can fail */
	live = en->live ? (want ? sync_project_live(want, en->live) : cJSON_Duplicate(en->live, 1)) : NULL;
	if (live && !want) {
		/* prune: show what goes, without the server's bookkeeping */
		cJSON *meta = jsonx_get(live, "metadata");

		cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
		cJSON_DeleteItemFromObjectCaseSensitive(live, "status");
	}
	if (strcmp(en->kind, "Secret") == 0 && en->api_version && strcmp(en->api_version, "v1") == 0) {
		if (live)
			mask_secret(live, want, " (before)");
		if (want)
			mask_secret(want, en->live, " (after)");
	}
	if ((live && manifest_print_yaml(live, &a)) || (want && manifest_print_yaml(want, &b)))
		goto out;
	if (kbuf_printf(&la, "live/%s%s%s/%s", en->kind, en->ns ? "/" : "", en->ns ? en->ns : "", en->name) ||
	    kbuf_printf(&lb, "git/%s%s%s/%s", en->kind, en->ns ? "/" : "", en->ns ? en->ns : "", en->name))
		goto out;
	rc = text_diff_unified(a.data ? a.data : "", b.data ? b.data : "", live ? la.data : "/dev/null",
			       want ? lb.data : "/dev/null", out);
out:
	cJSON_Delete(live);
	cJSON_Delete(want);
	kbuf_free(&a);
	kbuf_free(&b);
	kbuf_free(&la);
	kbuf_free(&lb);
	return rc;
}
