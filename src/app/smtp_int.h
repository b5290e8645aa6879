/* smtp_int.h — private to app_smtp.c (commands, replies, transactions) and smtp_mime.c (the
 * message: headers, MIME parts, base64 / quoted-printable, attachments as files). */
#ifndef VG_APP_SMTP_INT_H
#define VG_APP_SMTP_INT_H

#include "app/app.h"
#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SMTP_MIME_LINE_MAX 4096     /* a longer message line is handled in pieces */
#define SMTP_MIME_HEADER_MAX 2000   /* bytes of a header value kept (header-value-depth) */
#define SMTP_MIME_NAME_MAX 256      /* and room for its name */
#define SMTP_MIME_DEPTH 8           /* nested multipart levels followed */
#define SMTP_MIME_BOUNDARY_MAX 254  /* longer boundaries are cut (anomaly MIME_LONG_BOUNDARY) */
#define SMTP_FILES_MAX 64           /* attachments tracked per mail */
#define SMTP_FILE_NAME_MAX 255      /* bytes of a file name kept (MIME_LONG_FILENAME) */
#define SMTP_FILE_KEEP (100 * 1024) /* decoded bytes of an attachment kept for file.data */
#define SMTP_MSG_KEEP (1024 * 1024) /* and of all a message's attachments together */
#define SMTP_ADDR_LIST_MAX 256      /* entries of to/cc kept, and URLs per message */

typedef struct smtp_file {
    char name[SMTP_FILE_NAME_MAX];
    uint16_t name_len;
    uint64_t size;               /* decoded bytes seen */
    bool gaps;
    bool top;                    /* the message itself is the file (not one of its parts): not
                                  * listed in email.attachment, as Suricata lists parts only */
    uint8_t state;               /* enum vg_app_file_state */
    vg_buf_t data;               /* the first SMTP_FILE_KEEP decoded bytes */
} smtp_file_t;

enum smtp_enc { ENC_NONE = 0, ENC_BASE64, ENC_QP };

/* One MIME entity being read (the message itself or a part). */
typedef struct smtp_entity {
    bool in_body;
    bool multipart;              /* its Content-Type is multipart/... with a boundary */
    uint8_t enc;                 /* enum smtp_enc */
    int file;                    /* index in files, -1: not an attachment */
    bool text;                   /* text/plain, text/html, message/..., or no type; not a file:
                                  * its decoded lines are searched for URLs */
    bool pending_crlf;           /* a line break held back (not quoted-printable): content if
                                  * another line follows, dropped at a boundary or the end */
    uint8_t b64[4];              /* base64 quantum being collected */
    uint8_t b64_n;
} smtp_entity_t;

typedef struct smtp_mime {
    /* line assembly */
    uint8_t line[SMTP_MIME_LINE_MAX];
    size_t line_len;
    bool line_cont;              /* the current line started in an earlier piece */
    /* the header being read (name: value, unfolded), of the current entity */
    vg_buf_t hdr;
    bool hdr_long;               /* the current header was cut */
    /* fields of the current entity's headers */
    char ctype[64];              /* content type, lowercase, without parameters */
    char boundary[SMTP_MIME_BOUNDARY_MAX + 1];
    size_t boundary_len;
    char fname[SMTP_FILE_NAME_MAX];
    size_t fname_len;
    bool has_fname;
    uint8_t enc;
    /* multipart levels: boundaries, outermost first */
    char bnd[SMTP_MIME_DEPTH][SMTP_MIME_BOUNDARY_MAX + 1];
    uint16_t bnd_len[SMTP_MIME_DEPTH];
    int depth;
    bool epilogue;               /* after the outermost closing boundary, or in a preamble */
    smtp_entity_t ent;
    bool top;                    /* the current entity is the message itself */
    bool done;                   /* the message ended (end of DATA) */
    bool fed;                    /* some of the message was seen */
    bool broken;                 /* bytes were lost: the rest is not decoded */
    /* the message's own headers that EVE logs */
    vg_buf_t from;
    vg_buf_t to, cc;             /* smtp_list_add() lists */
    uint16_t n_to, n_cc;
    /* attachments */
    smtp_file_t files[SMTP_FILES_MAX];
    uint16_t n_files;
    size_t kept;                 /* decoded bytes kept over all files (<= SMTP_MSG_KEEP) */
    /* URLs (Suricata's extract-urls with its default scheme http://, scheme stripped,
     * lowercased, unique per entity): the current entity's in tline/cur_urls; then the message's
     * own (when it is not multipart) or its parts', each entity's newest first as Suricata */
    vg_buf_t tline;              /* the decoded text line being assembled */
    vg_buf_t cur_urls, top_urls, part_urls;   /* smtp_list_add() lists */
    uint16_t n_cur_urls, n_top_urls, n_part_urls;
    bool url_ip4, url_ip6, url_exe;           /* of the message's own URLs */
    vg_app_ctx_t *ctx;           /* for anomalies, valid during a feed call only */
    unsigned raised;             /* anomalies already raised for this message (bits) */
    size_t line_total;           /* bytes of the current line so far, all pieces */
} smtp_mime_t;

smtp_mime_t *smtp_mime_new(void);
void smtp_mime_free(smtp_mime_t *m);
/* Message bytes in order (dot-unstuffed DATA, or BDAT chunks). */
void smtp_mime_feed(smtp_mime_t *m, const uint8_t *d, size_t n, vg_app_ctx_t *ctx);
/* The message is complete (the DATA terminator or BDAT LAST): the last line is processed and
 * open attachments are closed. */
void smtp_mime_end(smtp_mime_t *m, vg_app_ctx_t *ctx);
/* Bytes of the message were lost: open files get gaps and decoding stops. */
void smtp_mime_gap(smtp_mime_t *m);
/* The flow ended before the message did: its unfinished last line is decoded, open files are
 * TRUNCATED. */
void smtp_mime_flow_end(smtp_mime_t *m, vg_app_ctx_t *ctx);
/* EVE email.status: PARSE_DONE, else HEADER_STARTED / BODY_STARTED. */
const char *smtp_mime_status(const smtp_mime_t *m);
size_t smtp_mime_memuse(const smtp_mime_t *m);

void smtp_anomaly(vg_app_ctx_t *ctx, const char *ev);

/* Lists of strings (recipients, To, Cc) in a vg_buf_t: each entry a 2-byte length (host order)
 * then its bytes, so entries may hold any byte. */
static inline void smtp_list_add(vg_buf_t *b, uint16_t *count, const uint8_t *p, size_t n)
{
    uint16_t l = (uint16_t)(n > UINT16_MAX ? UINT16_MAX : n);
    vg_buf_append(b, &l, sizeof l);
    vg_buf_append(b, p, l);
    (*count)++;
}

/* The entry at *off (advanced past it); false at the end. */
static inline bool smtp_list_next(const vg_buf_t *b, size_t *off, const char **p, size_t *n)
{
    uint16_t l;
    if (*off + sizeof l > b->len)
        return false;
    memcpy(&l, b->data + *off, sizeof l);
    if (*off + sizeof l + l > b->len)
        return false;
    *p = b->data + *off + sizeof l;
    *n = l;
    *off += sizeof l + l;
    return true;
}

#endif
