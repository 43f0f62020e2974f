/*
 * test_manifest_fuzz.c — mutated YAML fed to the manifest loader must never
 * crash, hang or leak (ASan/UBSan and valgrind watch): every mutant either
 * loads, or fails with errors that name the file. Seeds: the decoder trap
 * corpus (tests/unit/fixtures/yaml), the oracle corpus
 * (tests/e2e/fixtures/yaml-corpus) and the seed manifests. Mutations: bit
 * flips, byte insertions and deletions, spliced lines from another seed,
 * and YAML's structural tokens ("&a", "*a", "<<: ", "---", "[", "{", "|",
 * tabs, quotes, "\\u") dropped in at random offsets. A fixed PRNG seed keeps
 * runs repeatable; KAIRN_FUZZ_ITERATIONS sets the count (default 5000)
 * and KAIRN_FUZZ_SEED changes the sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_manifest_support.h"

#include <dirent.h>

#include "manifest/manifest.h"
#include "util/kobj.h"

struct corpus {
	char **text;
	size_t *len;
	size_t n;
};

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void corpus_add_dir(struct corpus *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		char *text = NULL;
		size_t len = 0;
		struct kerr e;
		size_t nl = strlen(de->d_name);

		if (de->d_name[0] == '.' || nl < 5 ||
		    (strcmp(de->d_name + nl - 5, ".yaml") && strcmp(de->d_name + nl - 5, ".json")))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (fs_read_all(path, &text, &len, &e) || len > 64 * 1024) {
			free(text);
			continue;
		}
		c->text = realloc(c->text, (c->n + 1) * sizeof(*c->text));
		c->len = realloc(c->len, (c->n + 1) * sizeof(*c->len));
		assert_non_null(c->text);
		assert_non_null(c->len);
		c->text[c->n] = text;
		c->len[c->n++] = len;
	}
	closedir(d);
}

static void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->text[i]);
	free(c->text);
	free(c->len);
}

static const char *const tokens[] = {
	"&a ", "*a", "<<: *a\n", "<<: [*a, *b]\n", "\n---\n", "---#x\n", "\n...\n", "[", "]", "{",
	"}", ": ", "- ", "|\n", ">-\n", "|+2\n", "\t", "\"", "'", "\\u", "\\ud83d", "? ", "!!binary ",
	"!!int ", "%YAML 1.1\n", "\r", "\xef\xbb\xbf", "\xff\xfe", "0x", "1e400", ".inf", "~", "# c\n",
	"\n  ", "kind: List\nitems:\n- ", "apiVersion: v1\n", "metadata:\n  name: ", "\xc3",
};

/* One mutant of base (malloc'd) in *out. */
static size_t mutate(uint64_t *s, const struct corpus *c, const char *base, size_t blen, char **out)
{
	size_t cap = blen * 2 + 256, len = blen;
	char *m = malloc(cap);
	int rounds = 1 + (int)(rng_next(s) % 4);

	assert_non_null(m);
	memcpy(m, base, blen);
	for (int r = 0; r < rounds; r++) {
		size_t at = len ? (size_t)(rng_next(s) % len) : 0;

		switch (rng_next(s) % 5) {
		case 0: /* bit flip */
			if (len)
				m[at] ^= (char)(1u << (rng_next(s) % 8));
			break;
		case 1: { /* delete a run */
			size_t n = 1 + (size_t)(rng_next(s) % 16);

			if (at + n > len)
				n = len - at;
			memmove(m + at, m + at + n, len - at - n);
			len -= n;
			break;
		}
		case 2: { /* random byte */
			if (len + 1 >= cap)
				break;
			memmove(m + at + 1, m + at, len - at);
			m[at] = (char)(rng_next(s) & 0xff);
			len++;
			break;
		}
		case 3: { /* a structural token */
			const char *t = tokens[rng_next(s) % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t tl = strlen(t);

			if (len + tl >= cap)
				break;
			memmove(m + at + tl, m + at, len - at);
			memcpy(m + at, t, tl);
			len += tl;
			break;
		}
		default: { /* a slice of another seed */
			size_t o = (size_t)(rng_next(s) % c->n), ol = c->len[o], from, n;

			if (!ol)
				break;
			from = (size_t)(rng_next(s) % ol);
			n = 1 + (size_t)(rng_next(s) % 120);
			if (from + n > ol)
				n = ol - from;
			if (len + n >= cap)
				break;
			memmove(m + at + n, m + at, len - at);
			memcpy(m + at, c->text[o] + from, n);
			len += n;
			break;
		}
		}
	}
	*out = m;
	return len;
}

static void test_mutated_yaml_never_crashes_and_errors_name_the_file(void **state)
{
	const char *iters_env = getenv("KAIRN_FUZZ_ITERATIONS"), *seed_env = getenv("KAIRN_FUZZ_SEED");
	long iters = iters_env ? strtol(iters_env, NULL, 10) : 5000;
	uint64_t s = seed_env ? strtoull(seed_env, NULL, 10) : 0x6b6169726e2d667aULL;
	struct corpus c = { 0 };
	char sd[PATH_MAX];
	char *seeds = tms_seeds_dir();
	long ok = 0, failed = 0;

	(void)state;
	corpus_add_dir(&c, KAIRN_SOURCE_DIR "/tests/unit/fixtures/yaml");
	corpus_add_dir(&c, KAIRN_SOURCE_DIR "/tests/e2e/fixtures/yaml-corpus");
	if (seeds) {
		snprintf(sd, sizeof(sd), "%s/titan-gateway", seeds);
		corpus_add_dir(&c, sd);
		snprintf(sd, sizeof(sd), "%s/crds", seeds);
		corpus_add_dir(&c, sd);
	}
	free(seeds);
	assert_true(c.n >= 40);
	if (!s)
		s = 1;
	for (long i = 0; i < iters; i++) {
		size_t pick = (size_t)(rng_next(&s) % c.n);
		char *m = NULL;
		size_t len = mutate(&s, &c, c.text[pick], c.len[pick], &m);
		struct manifest_diag diag = { 0 };
		struct kobj_set *set = NULL;
		int rc;

		assert_int_equal(kobj_set_new(&set), 0);
		rc = manifest_load_buf("fuzz/mutant.yaml", m, len, set, &diag);
		assert_true(rc >= 0);
		if (rc == 0) {
			ok++;
			assert_int_equal(diag.nerrors, 0);
		} else {
			failed++;
			assert_true(diag.nerrors > 0);
			for (size_t k = 0; k < diag.nerrors; k++)
				if (!strstr(diag.errors[k], "fuzz/mutant.yaml")) {
					print_message("mutant %ld of seed %zu: error without the file: %s\n", i,
						      pick, diag.errors[k]);
					fail();
				}
		}
		kobj_set_free(set);
		manifest_diag_free(&diag);
		free(m);
	}
	print_message("fuzz: %ld mutants, %ld loaded, %ld refused with file:line errors\n", iters, ok,
		      failed);
	/* the mutations must reach both outcomes, or they test nothing */
	assert_true(ok > iters / 20);
	assert_true(failed > iters / 20);
	corpus_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutated_yaml_never_crashes_and_errors_name_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
