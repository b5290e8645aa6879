/* reader_int.h — the store reader's vtable (store.h "Reading a store"), shared by its back-ends
 * (reader.c: SQLite; reader_pg.c: PostgreSQL). */
#ifndef VG_STORE_READER_INT_H
#define VG_STORE_READER_INT_H

#include "store/store.h"

typedef struct vg_store_reader_ops {
    int (*check)(vg_store_reader_t *r, char *err, size_t err_len);
    /* sql is already translated to the back-end's dialect */
    int (*exec)(vg_store_reader_t *r, const char *sql, char *err, size_t err_len);
    int (*query)(vg_store_reader_t *r, const char *sql, const vg_rcell_t *params, size_t n_params,
                 vg_store_row_fn fn, void *ctx, char *err, size_t err_len);
    void (*close)(vg_store_reader_t *r);
} vg_store_reader_ops_t;

struct vg_store_reader {
    const vg_store_reader_ops_t *ops;
    vg_sql_dialect_t dialect;
    char *label;
};

#endif
