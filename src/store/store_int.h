/* store_int.h — store internals shared by its files and its tests. */
#ifndef VG_STORE_STORE_INT_H
#define VG_STORE_STORE_INT_H

#include "store/store.h"

#include <sqlite3.h>

extern const char *const vg_store_schema_v1;
/* Highest version in schema_version (0: empty database). -1 (err) on a non-Vigil database. */
int vg_store_read_version(sqlite3 *db, int *version, char *err, size_t err_len);
/* Applies versions from+1 .. to, each in its own transaction. */
int vg_store_migrate(sqlite3 *db, int from, int to, char *err, size_t err_len);
/* Opens the SQLite file with the store's settings (WAL, busy timeout) without migrating. */
sqlite3 *vg_store_open_db(const char *path, bool create, bool readonly, char *err, size_t err_len);
/* One-line description of an SQLite failure for users ("locked by another process", ...). */
const char *vg_store_explain(int rc);

#endif
