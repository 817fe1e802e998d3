/* SPDX-License-Identifier: MIT */
/*
 * Bundle files and their control entries, byte for byte as cellsync/bundle.h
 * describes them. The writer streams entries into a temp file beside the
 * target and only a complete, synced file gets the target's name. The
 * reader takes one entry at a time through a FILE*, checking each length
 * against the limits and against what is left of the file before it
 * allocates anything, so a lying length costs nothing. Last, the names of
 * replies on a stick: made for a person to read, found by the device's id.
 */
#define _GNU_SOURCE /* mkostemp */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "internal.h"

#define MAGIC        "CSB"
#define MAGIC_LEN    3
#define OFF_VERSION  3
#define OFF_FLAGS    4
#define OFF_RESERVED 5
#define OFF_COUNT    8
#define LEN_PREFIX   4
#define TMP_SUFFIX   ".tmpXXXXXX"
#define FLAGS_KNOWN  CS_BUNDLE_F_REPLY

_Static_assert(OFF_COUNT + 4 == CS_BUNDLE_HEADER, "header layout");
_Static_assert(CS_BUNDLE_MAX_ENTRY <= UINT32_MAX, "an entry length is a 32-bit field");

static void
put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- writing ---- */

struct cs_bundle_writer {
    int fd;
    char *path, *tmp;
    size_t size;
    uint32_t count;
    uint8_t
        rcpt_x[crypto_box_PUBLICKEYBYTES]; /* the recipient's X25519 key: entries sealed to it */
};

static int
write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The directory entry of a rename is durable only once the directory is synced. */
static int
sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? strdup(".")
                : slash == path ? strdup("/")
                                : strndup(path, (size_t)(slash - path));
    if (dir == NULL)
        return CS_ENOMEM;
    int ret = 0, fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        ret = -errno;
    /* Some file systems (FAT on a stick among them) cannot sync a directory. */
    else if (fsync(fd) < 0 && errno != EINVAL)
        ret = -errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    return ret;
}

void
cs_bundle_writer_free(struct cs_bundle_writer *w)
{
    if (w == NULL)
        return;
    int saved = errno;
    if (w->fd >= 0) {
        close(w->fd);
        unlink(w->tmp);
    }
    free(w->path);
    free(w->tmp);
    free(w);
    errno = saved;
}

int
cs_bundle_writer_new(struct cs_bundle_writer **out, const char *path, unsigned flags,
                     const uint8_t rcpt_pk[CS_PK_LEN], char *err, size_t errlen)
{
    struct cs_bundle_writer *w = NULL;
    uint8_t hdr[CS_BUNDLE_HEADER] = {0};
    int ret;

    *out = NULL;
    if ((flags & ~FLAGS_KNOWN) != 0)
        return cs_errf(err, errlen, CS_EINVAL, _("cannot write '%s': unknown flags"), path);
    uint8_t rcpt_x[crypto_box_PUBLICKEYBYTES];
    if (crypto_sign_ed25519_pk_to_curve25519(rcpt_x, rcpt_pk) != 0)
        return cs_errf(err, errlen, CS_EINVAL,
                       _("cannot write '%s': the recipient's key is not valid"), path);
    size_t plen = strlen(path);
    if ((w = calloc(1, sizeof(*w))) == NULL || (w->path = strdup(path)) == NULL ||
        (w->tmp = malloc(plen + sizeof(TMP_SUFFIX))) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot write '%s': out of memory"), path);
        goto fail;
    }
    w->fd = -1;
    memcpy(w->rcpt_x, rcpt_x, sizeof(rcpt_x));
    memcpy(w->tmp, path, plen);
    memcpy(w->tmp + plen, TMP_SUFFIX, sizeof(TMP_SUFFIX));
    if ((w->fd = mkostemp(w->tmp, O_CLOEXEC)) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto fail;
    }
    memcpy(hdr, MAGIC, MAGIC_LEN);
    hdr[OFF_VERSION] = CS_BUNDLE_FORMAT;
    hdr[OFF_FLAGS] = (uint8_t)flags;
    /*
     * Bundles are sealed: readable by all, like the file a copy would make.
     * A stick's FAT may refuse modes; that costs nothing, so it is ignored.
     */
    (void)fchmod(w->fd, 0644);
    /*
     * The count stays 0 until commit: a temp file left by a crash while
     * entries are written never reads as whole. (One left by a crash inside
     * the commit, between the count and the rename, is whole: every entry.)
     */
    if ((ret = write_all(w->fd, hdr, sizeof(hdr))) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), path, strerror(errno));
        goto fail;
    }
    w->size = sizeof(hdr);
    *out = w;
    return 0;
fail:
    cs_bundle_writer_free(w);
    return ret;
}

int
cs_bundle_writer_add(struct cs_bundle_writer *w, const uint8_t *env, size_t len, char *err,
                     size_t errlen)
{
    uint8_t pre[LEN_PREFIX], *sealed;
    size_t slen = len + crypto_box_SEALBYTES;
    int ret;

    if (len > CS_BUNDLE_MAX_ENTRY || slen > CS_BUNDLE_MAX_FILE - w->size - LEN_PREFIX ||
        w->count == UINT32_MAX)
        return cs_errf(err, errlen, CS_ETOOBIG,
                       _("cannot write '%s': a bundle holds at most %zu MiB"), w->path,
                       CS_BUNDLE_MAX_FILE >> 20);
    /* Sealed to the recipient: a stick shows no key, unit, seq or signature (F14). */
    if ((sealed = malloc(slen)) == NULL)
        return cs_errf(err, errlen, CS_ENOMEM, _("cannot write '%s': out of memory"), w->path);
    if (crypto_box_seal(sealed, env, len, w->rcpt_x) != 0) {
        free(sealed);
        return cs_errf(err, errlen, CS_ECRYPTO, _("cannot write '%s': %s"), w->path,
                       cs_strerror(CS_ECRYPTO));
    }
    put_be32(pre, (uint32_t)slen);
    if ((ret = write_all(w->fd, pre, sizeof(pre))) < 0 ||
        (ret = write_all(w->fd, sealed, slen)) < 0) {
        free(sealed);
        return cs_errf(err, errlen, ret, _("cannot write '%s': %s"), w->path, strerror(-ret));
    }
    free(sealed);
    w->size += sizeof(pre) + slen;
    w->count++;
    return 0;
}

size_t
cs_bundle_writer_size(const struct cs_bundle_writer *w)
{
    return w->size;
}

int
cs_bundle_writer_commit(struct cs_bundle_writer *w, char *err, size_t errlen)
{
    uint8_t cnt[4];
    int ret;

    if (w->count == 0) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot write '%s': a bundle needs an entry"),
                      w->path);
        goto out;
    }
    put_be32(cnt, w->count);
    ssize_t n;
    do
        n = pwrite(w->fd, cnt, sizeof(cnt), OFF_COUNT);
    while (n < 0 && errno == EINTR);
    /* The data must be on disk before the name points at it. */
    if (n >= 0 && n != (ssize_t)sizeof(cnt))
        errno = EIO;
    if (n != (ssize_t)sizeof(cnt) || fsync(w->fd) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), w->path, strerror(errno));
        goto out;
    }
    int rc = close(w->fd);
    w->fd = -1;
    if (rc < 0 || rename(w->tmp, w->path) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot write '%s': %s"), w->path, strerror(errno));
        unlink(w->tmp);
        goto out;
    }
    if ((ret = sync_dir_of(w->path)) < 0) {
        cs_errf(err, errlen, ret, _("cannot sync the directory of '%s': %s"), w->path,
                cs_strerror(ret));
        goto out;
    }
    ret = 0;
out:
    cs_bundle_writer_free(w);
    return ret;
}

/* ---- reading ---- */

struct cs_bundle_reader {
    FILE *f;
    char *path;
    uint64_t size, pos; /* the file's size when opened, and where we are */
    unsigned flags;
    uint32_t count, next;
    uint8_t *sealed, *buf; /* an entry as read, and opened */
    size_t scap, cap;
    uint8_t *x_sk; /* this reader's X25519 secret key (sodium_malloc), and its public key */
    uint8_t x_pk[crypto_box_PUBLICKEYBYTES];
};

void
cs_bundle_reader_free(struct cs_bundle_reader *b)
{
    if (b == NULL)
        return;
    if (b->f != NULL)
        fclose(b->f);
    free(b->path);
    free(b->sealed);
    free(b->buf);
    sodium_free(b->x_sk);
    free(b);
}

/* n bytes at the current position, which the caller has checked lie inside the file. */
static int
read_exact(struct cs_bundle_reader *b, uint8_t *p, size_t n, char *err, size_t errlen)
{
    size_t got = fread(p, 1, n, b->f);
    if (got == n) {
        b->pos += n;
        return 0;
    }
    if (ferror(b->f))
        return cs_errf(err, errlen, -EIO, _("cannot read '%s': %s"), b->path, strerror(EIO));
    /* The file shrank under us. */
    return cs_errf(err, errlen, CS_ETRUNCATED, _("'%s' is not a whole bundle: %s"), b->path,
                   cs_strerror(CS_ETRUNCATED));
}

static int
bad(const struct cs_bundle_reader *b, int code, char *err, size_t errlen)
{
    return cs_errf(err, errlen, code, _("'%s' is not a whole bundle: %s"), b->path,
                   cs_strerror(code));
}

int
cs_bundle_reader_new(struct cs_bundle_reader **out, const char *path, const struct cs_key *k,
                     char *err, size_t errlen)
{
    struct cs_bundle_reader *b = NULL;
    uint8_t hdr[CS_BUNDLE_HEADER];
    struct stat st;
    int ret;

    *out = NULL;
    if ((b = calloc(1, sizeof(*b))) == NULL || (b->path = strdup(path)) == NULL ||
        (b->x_sk = sodium_malloc(crypto_box_SECRETKEYBYTES)) == NULL) {
        ret = cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), path);
        goto fail;
    }
    if ((ret = cs__key_x25519_sk(k, b->x_sk)) != 0) {
        cs_errf(err, errlen, ret, _("cannot read '%s': %s"), path, cs_strerror(ret));
        goto fail;
    }
    crypto_scalarmult_base(b->x_pk, b->x_sk);
    /* Never through a symbolic link: an inbox is written by others (F18). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
        ret = cs_errf(err, errlen, CS_EINVAL,
                      _("cannot read '%s': it is a symbolic link; give the file itself"), path);
        goto fail;
    }
    if (fd >= 0 && (b->f = fdopen(fd, "rb")) == NULL)
        close(fd);
    if (fd < 0 || b->f == NULL || fstat(fileno(b->f), &st) < 0) {
        ret = cs_errf(err, errlen, -errno, _("cannot open '%s': %s"), path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = cs_errf(err, errlen, CS_EINVAL, _("cannot read '%s': not a file"), path);
        goto fail;
    }
    if ((uint64_t)st.st_size > CS_BUNDLE_MAX_FILE) {
        ret = cs_errf(err, errlen, CS_ETOOBIG,
                      _("cannot read '%s': %jd bytes, a bundle is at most %zu"), path,
                      (intmax_t)st.st_size, CS_BUNDLE_MAX_FILE);
        goto fail;
    }
    b->size = (uint64_t)st.st_size;
    size_t n = b->size < sizeof(hdr) ? (size_t)b->size : sizeof(hdr);
    if ((ret = read_exact(b, hdr, n, err, errlen)) != 0)
        goto fail;
    /* What is there is judged first, so a short file of the wrong kind is not "truncated". */
    if (memcmp(hdr, MAGIC, n < MAGIC_LEN ? n : MAGIC_LEN) != 0) {
        ret = cs_errf(err, errlen, CS_EMALFORMED, _("'%s' is not a cellsync bundle"), path);
        goto fail;
    }
    /* An older bundle's writer is the one to update; a newer one's reader. */
    if (n > OFF_VERSION && hdr[OFF_VERSION] < CS_BUNDLE_FORMAT) {
        ret = cs_errf(err, errlen, CS_EVERSION,
                      _("'%s' is a bundle of format %u, written by an older cellsync; this "
                        "program reads format %u: update the cellsync that wrote it"),
                      path, hdr[OFF_VERSION], CS_BUNDLE_FORMAT);
        goto fail;
    }
    if (n > OFF_VERSION && hdr[OFF_VERSION] != CS_BUNDLE_FORMAT) {
        ret = cs_errf(err, errlen, CS_EVERSION,
                      _("'%s' is a bundle of format %u; this program reads format %u: update it"),
                      path, hdr[OFF_VERSION], CS_BUNDLE_FORMAT);
        goto fail;
    }
    if (n < sizeof(hdr)) {
        ret = bad(b, CS_ETRUNCATED, err, errlen);
        goto fail;
    }
    b->flags = hdr[OFF_FLAGS];
    b->count = get_be32(hdr + OFF_COUNT);
    if ((b->flags & ~FLAGS_KNOWN) != 0 ||
        (hdr[OFF_RESERVED] | hdr[OFF_RESERVED + 1] | hdr[OFF_RESERVED + 2]) != 0 || b->count == 0) {
        ret = bad(b, CS_EMALFORMED, err, errlen);
        goto fail;
    }
    *out = b;
    return 0;
fail:
    cs_bundle_reader_free(b);
    return ret;
}

unsigned
cs_bundle_reader_flags(const struct cs_bundle_reader *b)
{
    return b->flags;
}

uint32_t
cs_bundle_reader_count(const struct cs_bundle_reader *b)
{
    return b->count;
}

int
cs_bundle_reader_next(struct cs_bundle_reader *b, const uint8_t **env, size_t *len, uint32_t *index,
                      char *err, size_t errlen)
{
    uint8_t pre[LEN_PREFIX];
    int ret;

    *env = NULL;
    *len = 0;
    if (b->next == b->count)
        return b->pos == b->size ? 0 : bad(b, CS_ETRAILING, err, errlen);
    if (b->size - b->pos < sizeof(pre))
        return bad(b, CS_ETRUNCATED, err, errlen);
    if ((ret = read_exact(b, pre, sizeof(pre), err, errlen)) != 0)
        return ret;
    uint32_t n = get_be32(pre);
    if (n < CS_ENVELOPE_OVERHEAD + crypto_box_SEALBYTES)
        return bad(b, CS_EMALFORMED, err, errlen);
    if (n > CS_BUNDLE_MAX_ENTRY + crypto_box_SEALBYTES)
        return bad(b, CS_ETOOBIG, err, errlen);
    if (n > b->size - b->pos)
        return bad(b, CS_ETRUNCATED, err, errlen);
    size_t plain = n - crypto_box_SEALBYTES;
    if (n > b->scap) {
        uint8_t *ns = realloc(b->sealed, n);
        if (ns == NULL)
            return cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), b->path);
        b->sealed = ns;
        b->scap = n;
    }
    if (plain > b->cap) {
        uint8_t *nb = realloc(b->buf, plain);
        if (nb == NULL)
            return cs_errf(err, errlen, CS_ENOMEM, _("cannot read '%s': out of memory"), b->path);
        b->buf = nb;
        b->cap = plain;
    }
    if ((ret = read_exact(b, b->sealed, n, err, errlen)) != 0)
        return ret;
    /* Sealed to this reader's key, or to someone else's, or damaged: none opens. */
    if (crypto_box_seal_open(b->buf, b->sealed, n, b->x_pk, b->x_sk) != 0)
        return cs_errf(err, errlen, CS_EDECRYPT,
                       _("'%s' cannot be opened here: it was made for another device or hub, "
                         "or it is damaged"),
                       b->path);
    if (index != NULL)
        *index = b->next;
    b->next++;
    *env = b->buf;
    *len = plain;
    return 1;
}

int
cs_bundle_reader_rewind(struct cs_bundle_reader *b, char *err, size_t errlen)
{
    if (fseek(b->f, CS_BUNDLE_HEADER, SEEK_SET) != 0)
        return cs_errf(err, errlen, -errno, _("cannot read '%s': %s"), b->path, strerror(errno));
    b->pos = CS_BUNDLE_HEADER;
    b->next = 0;
    return 0;
}

/* ---- control entries ---- */

int
cs_bundle_entry_is_control(const uint8_t *env, size_t len)
{
    struct cs_envelope_info info;
    int ret = cs_envelope_peek(env, len, &info);
    if (ret != 0)
        return ret;
    return info.seq_first == 0 && info.seq_last == 0;
}

int
cs_bundle_seal_control(const struct cs_key *k, const uint8_t rcpt_pk[CS_PK_LEN], int kind,
                       const uint8_t *payload, size_t len, uint8_t **env, size_t *envlen)
{
    *env = NULL;
    *envlen = 0;
    if (kind < 1 || kind > 127 || (payload == NULL && len > 0))
        return CS_EINVAL;
    if (len > CS_ENVELOPE_MAX_PLAIN - 1)
        return CS_ETOOBIG;
    uint8_t *plain = malloc(len + 1);
    if (plain == NULL)
        return CS_ENOMEM;
    plain[0] = (uint8_t)kind;
    if (len > 0)
        memcpy(plain + 1, payload, len);
    int ret = cs_envelope_seal(k, rcpt_pk, 0, 0, plain, len + 1, env, envlen);
    /* A hello holds the one-time enrollment secret. */
    sodium_memzero(plain, len + 1);
    free(plain);
    return ret;
}

int
cs_bundle_open_control(const struct cs_key *k, const uint8_t *from_pk, int kind, const uint8_t *env,
                       size_t len, uint8_t **payload, size_t *plen, struct cs_envelope_info *info)
{
    struct cs_envelope_info tmp;
    uint8_t *plain = NULL;
    size_t n = 0;

    *payload = NULL;
    *plen = 0;
    if (info == NULL)
        info = &tmp;
    int ret = cs_envelope_open(k, env, len, &plain, &n, info);
    if (ret != 0)
        return ret;
    if (from_pk != NULL && sodium_memcmp(info->origin_pk, from_pk, CS_PK_LEN) != 0)
        ret = CS_ESIGNATURE;
    else if (info->seq_first != 0 || info->seq_last != 0 || n < 1 || plain[0] != kind)
        ret = CS_EMALFORMED;
    if (ret != 0) {
        sodium_memzero(plain, n);
        free(plain);
        memset(info, 0, sizeof(*info));
        return ret;
    }
    /* The payload moves down over the kind byte; the buffer stays a real allocation. */
    memmove(plain, plain + 1, n - 1);
    *payload = plain;
    *plen = n - 1;
    return 0;
}

int
cs_bundle_seal_hello(const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                     const struct cs_hello *h, uint8_t **env, size_t *envlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    size_t n = 0;

    *env = NULL;
    *envlen = 0;
    int ret = cs_hello_encode(h, payload, sizeof(payload), &n);
    if (ret == 0)
        ret = cs_bundle_seal_control(dev, hub_pk, CS_BUNDLE_HELLO, payload, n, env, envlen);
    sodium_memzero(payload, sizeof(payload));
    return ret;
}

int
cs_bundle_open_hello(const struct cs_key *hub, const uint8_t *env, size_t len, struct cs_hello *h,
                     uint8_t dev_pk[CS_PK_LEN])
{
    struct cs_envelope_info info;
    uint8_t *payload = NULL;
    size_t n = 0;

    int ret = cs_bundle_open_control(hub, NULL, CS_BUNDLE_HELLO, env, len, &payload, &n, &info);
    if (ret != 0)
        return ret;
    ret = cs_hello_decode(payload, n, h);
    if (ret == 0)
        memcpy(dev_pk, info.origin_pk, CS_PK_LEN);
    sodium_memzero(payload, n);
    free(payload);
    return ret;
}

int
cs_bundle_seal_welcome(const struct cs_key *hub, const uint8_t dev_pk[CS_PK_LEN],
                       const struct cs_welcome *w, uint8_t **env, size_t *envlen)
{
    uint8_t payload[CS_WIRE_MAX_PREAUTH];
    size_t n = 0;

    *env = NULL;
    *envlen = 0;
    int ret = cs_welcome_encode(w, payload, sizeof(payload), &n);
    if (ret == 0)
        ret = cs_bundle_seal_control(hub, dev_pk, CS_BUNDLE_WELCOME, payload, n, env, envlen);
    return ret;
}

int
cs_bundle_open_welcome(const struct cs_key *dev, const uint8_t hub_pk[CS_PK_LEN],
                       const uint8_t *env, size_t len, struct cs_welcome *w)
{
    uint8_t *payload = NULL;
    size_t n = 0;

    int ret = cs_bundle_open_control(dev, hub_pk, CS_BUNDLE_WELCOME, env, len, &payload, &n, NULL);
    if (ret != 0)
        return ret;
    ret = cs_welcome_decode(payload, n, w);
    free(payload);
    return ret;
}

/* ---- the names of replies ---- */

/* Appends text to the label made safe for FAT: a run of anything else is one '-'. */
static void
label_add(char *label, size_t *n, const char *text)
{
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != 0; p++) {
        unsigned char ch = *p;
        int keep = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!keep) {
            dash = 1;
            continue;
        }
        /* A dash only between kept characters: none leads or trails. */
        if (dash && *n > 0 && label[*n - 1] != '_' && *n < CS_BUNDLE_REPLY_LABEL)
            label[(*n)++] = '-';
        dash = 0;
        if (*n < CS_BUNDLE_REPLY_LABEL)
            label[(*n)++] = (char)ch;
    }
    label[*n] = 0;
}

int
cs_bundle_reply_name(const char *org, const char *name, const struct cs_id *device, char *out,
                     size_t len)
{
    char label[CS_BUNDLE_REPLY_LABEL + 1] = "", shrt[CS_ID_SHORT_LEN + 1];
    size_t n = 0;

    label_add(label, &n, org != NULL ? org : "");
    if (n > 0 && n < CS_BUNDLE_REPLY_LABEL && name != NULL && name[0] != 0)
        label[n++] = '_';
    label_add(label, &n, name != NULL ? name : "");
    while (n > 0 && (label[n - 1] == '_' || label[n - 1] == '-'))
        label[--n] = 0;
    cs_id_short(device, shrt);
    int w = snprintf(out, len, "%s%s%s" CS_BUNDLE_REPLY_SUFFIX, label, n > 0 ? "_" : "", shrt);
    return w < 0 || (size_t)w >= len ? CS_EINVAL : 0;
}

int
cs_bundle_reply_find(const char *dir, const struct cs_id *device, char *out, size_t len)
{
    char shrt[CS_ID_SHORT_LEN + 1], tail[CS_ID_SHORT_LEN + 16], best[256] = "";
    char path[PATH_MAX];
    time_t best_at = 0;
    DIR *d = NULL;
    struct dirent *e;
    struct stat st;
    int ret, w;

    cs_id_short(device, shrt);
    snprintf(tail, sizeof(tail), "_%s" CS_BUNDLE_REPLY_SUFFIX, shrt);
    if ((d = opendir(dir)) == NULL) {
        ret = -errno;
        goto out;
    }
    size_t tn = strlen(tail);
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        /* A FAT stick may give the name in another case. */
        if (n <= tn || n >= sizeof(best) || strcasecmp(e->d_name + n - tn, tail) != 0)
            continue;
        w = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (best[0] == 0 || st.st_mtime > best_at ||
            (st.st_mtime == best_at && strcmp(e->d_name, best) > 0)) {
            snprintf(best, sizeof(best), "%s", e->d_name);
            best_at = st.st_mtime;
        }
    }
    /* Names of older hubs: the short id alone, then the first 8 hex digits. */
    const char *older[2] = {shrt, NULL};
    char first8[9];
    snprintf(first8, sizeof(first8), "%02x%02x%02x%02x", device->b[0], device->b[1], device->b[2],
             device->b[3]);
    older[1] = first8;
    for (size_t i = 0; i < 2 && best[0] == 0; i++) {
        w = snprintf(path, sizeof(path), "%s/%s" CS_BUNDLE_REPLY_SUFFIX, dir, older[i]);
        if (w > 0 && (size_t)w < sizeof(path) && access(path, F_OK) == 0)
            snprintf(best, sizeof(best), "%s" CS_BUNDLE_REPLY_SUFFIX, older[i]);
    }
    ret = best[0] != 0 ? 0 : CS_ENOTFOUND;
    if (best[0] == 0)
        snprintf(best, sizeof(best), "%s" CS_BUNDLE_REPLY_SUFFIX, shrt);
    w = snprintf(out, len, "%s/%s", dir, best);
    if (w < 0 || (size_t)w >= len)
        ret = CS_EINVAL;
out:
    if (d != NULL)
        closedir(d);
    return ret;
}
