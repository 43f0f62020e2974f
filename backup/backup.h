/*
 * backup.h — the backup module's public API, one include for callers.
 *
 * The storage half of kairn backup/restore, Velero 1.1.0 compatible
 * (shared/design/backup-format.md). It takes and returns plain data; the
 * collect (kube LIST) and restore (kube create) stages are layered on top.
 *
 *   archive.h  backup_writer_*  stream objects into <name>.tar.gz
 *              backup_reader_*  verify a tarball completely, then index it
 *   meta.h     backup_meta_*    velero-backup.json out and back in
 *              backup_sidecars_write  N-resource-list.json.gz, N-logs.gz, ...
 *   store.h    backup_store_*   file and S3 stores behind one vtable, and the
 *                               backup-level rules: upload (velero-backup.json
 *                               last), delete (it first), list, retention,
 *                               root layout check
 *   sigv4.h, gojson.h, gz.h     building blocks, public for tests
 *
 * A backup, end to end (what `kairn backup create` will do):
 *   backup_writer_open(dir/N.tar.gz) → backup_writer_add(group, resource,
 *   preferred version, object) per listed object → backup_writer_finish →
 *   backup_sidecars_write(dir, N, writer, log, results) → write
 *   backup_meta_to_json to dir/velero-backup.json → backup_store_upload(store,
 *   N, dir) → backup_store_retention(store, now).
 * A restore starts with backup_store_download + backup_reader_open: nothing is
 * returned from an archive that failed any check.
 */
#ifndef KAIRN_BACKUP_BACKUP_H
#define KAIRN_BACKUP_BACKUP_H

#include "backup/archive.h"
#include "backup/meta.h"
#include "backup/store.h"

#endif
