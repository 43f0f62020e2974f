/*
 * version.c — build stamp and linked library versions, asked of each library
 * at run time (what is loaded, not what the headers said).
 */
#include "version.h"

#include <archive.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>
#include <zlib.h>

#ifndef KAIRN_VERSION
#define KAIRN_VERSION "0.0.0"
#endif
#ifndef KAIRN_GIT_COMMIT
#define KAIRN_GIT_COMMIT "unknown"
#endif

const char *kairn_version(void) { return KAIRN_VERSION; }
const char *kairn_git_commit(void) { return KAIRN_GIT_COMMIT; }

cJSON *kairn_version_json(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *libs = cJSON_AddObjectToObject(o, "libraries");
	char git2[32];
	int maj, min, rev;

	cJSON_AddStringToObject(o, "version", KAIRN_VERSION);
	cJSON_AddStringToObject(o, "gitCommit", KAIRN_GIT_COMMIT);
	git_libgit2_version(&maj, &min, &rev);
	snprintf(git2, sizeof(git2), "%d.%d.%d", maj, min, rev);
	cJSON_AddStringToObject(libs, "libgit2", git2);
	cJSON_AddStringToObject(libs, "libcurl", curl_version_info(CURLVERSION_NOW)->version);
	cJSON_AddStringToObject(libs, "libarchive", archive_version_string());
	cJSON_AddStringToObject(libs, "cjson", cJSON_Version());
	cJSON_AddStringToObject(libs, "libyaml", yaml_get_version_string());
	cJSON_AddStringToObject(libs, "libmicrohttpd", MHD_get_version());
	cJSON_AddStringToObject(libs, "openssl", OpenSSL_version(OPENSSL_VERSION));
	cJSON_AddStringToObject(libs, "zlib", zlibVersion());
	return o;
}
