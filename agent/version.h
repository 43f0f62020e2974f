/*
 * version.h — kairn's version, the commit it was built from, and the versions
 * of the libraries it links (reported by `kairn version`).
 */
#ifndef KAIRN_VERSION_H
#define KAIRN_VERSION_H

const char *kairn_version(void);
const char *kairn_git_commit(void);

struct cJSON;
/* {"version","gitCommit","libraries":{"libgit2":..,"libcurl":..,...}} */
struct cJSON *kairn_version_json(void);

#endif
