/* SPDX-License-Identifier: MIT */
/*
 * Change set codec. A set keeps its changes as fixed-size records plus one
 * byte arena for names and values, and interns table/column names and origin
 * ids so each is sent once. Decoding is strict: the bytes are first walked by
 * cs__mp_check() under hard limits, then unpacked whole by msgpack-c, then
 * read through typed getters that check every type, index and bound. A set
 * that fails anywhere is freed and never returned in part.
 */
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/util.h"
#include "internal.h"

#define NONE UINT32_MAX

struct rec {
    uint32_t table, column;       /* name indexes */
    uint32_t origin, prev_origin; /* origin indexes; prev_origin NONE without prev */
    struct cs_id row;
    uint64_t hlc, prev_hlc, cl;
    union {
        int64_t i;
        double f;
    } v;
    uint32_t voff, vlen; /* text and blob bytes in the arena */
    uint8_t vtype;
};

/* Interned byte strings: where each is in the arena, found by the hash of its bytes. */
struct dict {
    struct dict_entry {
        uint32_t off, len;
    } * e;
    uint32_t count;
    size_t cap;
    struct cs__map map; /* cs__hash of the bytes -> entry */
};

struct cs_changeset {
    struct cs_changeset_header h;
    struct rec *recs;
    size_t nrecs, caprecs;
    uint8_t *arena;
    size_t arena_len, arena_cap;
    struct dict names, origins;
};

static int
arena_put(struct cs_changeset *cs, const void *p, size_t n, int nul, uint32_t *off)
{
    size_t need = n + (nul ? 1 : 0);
    if (cs->arena_len + need > UINT32_MAX)
        return CS_ETOOBIG;
    if (cs->arena_len + need > cs->arena_cap) {
        size_t cap = cs->arena_cap ? cs->arena_cap : 1024;
        while (cap < cs->arena_len + need)
            cap *= 2;
        uint8_t *a = realloc(cs->arena, cap);
        if (a == NULL)
            return CS_ENOMEM;
        cs->arena = a;
        cs->arena_cap = cap;
    }
    if (n > 0)
        memcpy(cs->arena + cs->arena_len, p, n);
    if (nul)
        cs->arena[cs->arena_len + n] = 0;
    *off = (uint32_t)cs->arena_len;
    cs->arena_len += need;
    return 0;
}

static void
dict_release(struct dict *d)
{
    free(d->e);
    cs__map_release(&d->map);
    memset(d, 0, sizeof(*d));
}

/*
 * Finds p/n in d, or adds it when add is set. *ix gets the entry index.
 * Returns 0, CS_EDUPLICATE when !add and it exists (decoders refuse
 * repeated dictionary entries), or CS_ETOOBIG past max entries.
 */
static int
dict_intern(struct cs_changeset *cs, struct dict *d, const void *p, size_t n, int nul, uint32_t max,
            int must_be_new, uint32_t *ix)
{
    uint64_t key = cs__hash(p, n);
    size_t it = 0;
    uint32_t e;
    int ret;
    while (cs__map_next(&d->map, key, &it, &e)) {
        if (d->e[e].len == n && memcmp(cs->arena + d->e[e].off, p, n) == 0) {
            if (must_be_new)
                return CS_EDUPLICATE;
            *ix = e;
            return 0;
        }
    }
    if (d->count >= max)
        return CS_ETOOBIG;
    uint32_t off;
    if ((ret = cs_grow((void **)&d->e, &d->cap, (size_t)d->count + 1, sizeof(*d->e), 16)) != 0 ||
        (ret = arena_put(cs, p, n, nul, &off)) != 0 ||
        (ret = cs__map_add(&d->map, key, d->count)) != 0)
        return ret;
    e = d->count++;
    d->e[e].off = off;
    d->e[e].len = (uint32_t)n;
    *ix = e;
    return 0;
}

static int
name_valid(const char *p, size_t n)
{
    return n > 0 && n <= CS_NAME_MAX && memchr(p, 0, n) == NULL &&
           cs_utf8_valid((const uint8_t *)p, n);
}

int
cs_changeset_new(struct cs_changeset **out, const struct cs_changeset_header *h)
{
    *out = NULL;
    struct cs_changeset *cs = calloc(1, sizeof(*cs));
    if (cs == NULL)
        return CS_ENOMEM;
    if (h != NULL)
        cs->h = *h;
    cs->h.version = CS_CHANGESET_FORMAT;
    *out = cs;
    return 0;
}

void
cs_changeset_free(struct cs_changeset *cs)
{
    if (cs == NULL)
        return;
    dict_release(&cs->names);
    dict_release(&cs->origins);
    free(cs->recs);
    free(cs->arena);
    free(cs);
}

const struct cs_changeset_header *
cs_changeset_header(const struct cs_changeset *cs)
{
    return &cs->h;
}

void
cs_changeset_set_seq(struct cs_changeset *cs, uint64_t first, uint64_t last)
{
    cs->h.seq_first = first;
    cs->h.seq_last = last;
}

void
cs_changeset_set_origin(struct cs_changeset *cs, const struct cs_id *origin)
{
    cs->h.origin = *origin;
}

size_t
cs_changeset_count(const struct cs_changeset *cs)
{
    return cs->nrecs;
}

static int
rec_push(struct cs_changeset *cs, struct rec **r)
{
    if (cs->nrecs >= CS_CHANGESET_MAX_CHANGES)
        return CS_ETOOBIG;
    if (cs_grow((void **)&cs->recs, &cs->caprecs, cs->nrecs + 1, sizeof(*cs->recs), 64) != 0)
        return CS_ENOMEM;
    *r = &cs->recs[cs->nrecs];
    memset(*r, 0, sizeof(**r));
    return 0;
}

int
cs_changeset_add(struct cs_changeset *cs, const struct cs_change *c)
{
    int ret;
    struct rec *r = NULL;

    if (c->table == NULL || c->column == NULL)
        return CS_EINVAL;
    size_t tl = strlen(c->table), cl = strlen(c->column);
    if (!name_valid(c->table, tl) || !name_valid(c->column, cl))
        return CS_EINVAL;
    if (c->hlc == 0 || c->prev_hlc >= c->hlc)
        return CS_EINVAL;
    if (c->value.type == CS_VTEXT || c->value.type == CS_VBLOB) {
        if (c->value.n > CS_VALUE_MAX)
            return CS_ETOOBIG;
        if (c->value.n > 0 && c->value.p == NULL)
            return CS_EINVAL;
        if (c->value.type == CS_VTEXT && !cs_utf8_valid(c->value.p, c->value.n))
            return CS_EINVAL;
    } else if (c->value.type != CS_VNIL && c->value.type != CS_VINT && c->value.type != CS_VFLOAT) {
        return CS_EINVAL;
    }
    if ((ret = rec_push(cs, &r)) != 0)
        return ret;
    if ((ret = dict_intern(cs, &cs->names, c->table, tl, 1, CS_CHANGESET_MAX_NAMES, 0,
                           &r->table)) != 0 ||
        (ret = dict_intern(cs, &cs->names, c->column, cl, 1, CS_CHANGESET_MAX_NAMES, 0,
                           &r->column)) != 0 ||
        (ret = dict_intern(cs, &cs->origins, c->origin.b, CS_ID_LEN, 0, CS_CHANGESET_MAX_ORIGINS, 0,
                           &r->origin)) != 0)
        return ret;
    r->prev_origin = NONE;
    if (c->prev_hlc != 0 && (ret = dict_intern(cs, &cs->origins, c->prev_origin.b, CS_ID_LEN, 0,
                                               CS_CHANGESET_MAX_ORIGINS, 0, &r->prev_origin)) != 0)
        return ret;
    r->row = c->row;
    r->hlc = c->hlc;
    r->prev_hlc = c->prev_hlc;
    r->cl = c->cl;
    r->vtype = (uint8_t)c->value.type;
    if (c->value.type == CS_VINT)
        r->v.i = c->value.i;
    else if (c->value.type == CS_VFLOAT)
        r->v.f = c->value.f;
    else if (c->value.type == CS_VTEXT || c->value.type == CS_VBLOB) {
        if ((ret = arena_put(cs, c->value.p, c->value.n, 0, &r->voff)) != 0)
            return ret;
        r->vlen = (uint32_t)c->value.n;
    }
    /* Count the record only once everything it refers to is in place. */
    cs->nrecs++;
    return 0;
}

void
cs_changeset_get(const struct cs_changeset *cs, size_t i, struct cs_change *out)
{
    const struct rec *r = &cs->recs[i];
    memset(out, 0, sizeof(*out));
    out->table = (const char *)cs->arena + cs->names.e[r->table].off;
    out->column = (const char *)cs->arena + cs->names.e[r->column].off;
    out->row = r->row;
    out->hlc = r->hlc;
    memcpy(out->origin.b, cs->arena + cs->origins.e[r->origin].off, CS_ID_LEN);
    out->prev_hlc = r->prev_hlc;
    if (r->prev_origin != NONE)
        memcpy(out->prev_origin.b, cs->arena + cs->origins.e[r->prev_origin].off, CS_ID_LEN);
    out->cl = r->cl;
    out->value.type = (enum cs_vtype)r->vtype;
    if (r->vtype == CS_VINT)
        out->value.i = r->v.i;
    else if (r->vtype == CS_VFLOAT)
        out->value.f = r->v.f;
    else if (r->vtype == CS_VTEXT || r->vtype == CS_VBLOB) {
        out->value.p = cs->arena + r->voff;
        out->value.n = r->vlen;
    }
}

int
cs_change_equal(const struct cs_change *a, const struct cs_change *b)
{
    if (strcmp(a->table, b->table) != 0 || strcmp(a->column, b->column) != 0 ||
        cs_id_cmp(&a->row, &b->row) != 0 || a->hlc != b->hlc ||
        cs_id_cmp(&a->origin, &b->origin) != 0 || a->prev_hlc != b->prev_hlc || a->cl != b->cl ||
        a->value.type != b->value.type)
        return 0;
    if (a->prev_hlc != 0 && cs_id_cmp(&a->prev_origin, &b->prev_origin) != 0)
        return 0;
    switch (a->value.type) {
    case CS_VINT:
        return a->value.i == b->value.i;
    case CS_VFLOAT:
        return memcmp(&a->value.f, &b->value.f, sizeof(double)) == 0;
    case CS_VTEXT:
    case CS_VBLOB:
        return a->value.n == b->value.n &&
               (a->value.n == 0 || memcmp(a->value.p, b->value.p, a->value.n) == 0);
    default:
        return 1;
    }
}

/* ---- encoding ---- */

static int
pack_id(msgpack_packer *pk, const uint8_t *b)
{
    return msgpack_pack_bin(pk, CS_ID_LEN) || msgpack_pack_bin_body(pk, b, CS_ID_LEN);
}

static int
pack_rec(msgpack_packer *pk, const struct cs_changeset *cs, const struct rec *r)
{
    int e = msgpack_pack_array(pk, 9) || msgpack_pack_uint32(pk, r->table) ||
            pack_id(pk, r->row.b) || msgpack_pack_uint32(pk, r->column);
    switch (r->vtype) {
    case CS_VNIL:
        e = e || msgpack_pack_nil(pk);
        break;
    case CS_VINT:
        e = e || msgpack_pack_int64(pk, r->v.i);
        break;
    case CS_VFLOAT:
        e = e || msgpack_pack_double(pk, r->v.f);
        break;
    case CS_VTEXT:
        e = e || msgpack_pack_str(pk, r->vlen) ||
            msgpack_pack_str_body(pk, cs->arena + r->voff, r->vlen);
        break;
    case CS_VBLOB:
        e = e || msgpack_pack_bin(pk, r->vlen) ||
            msgpack_pack_bin_body(pk, cs->arena + r->voff, r->vlen);
        break;
    }
    return e || msgpack_pack_uint64(pk, r->hlc) || msgpack_pack_uint32(pk, r->origin) ||
           msgpack_pack_uint64(pk, r->prev_hlc) ||
           msgpack_pack_uint32(pk, r->prev_origin == NONE ? 0 : r->prev_origin) ||
           msgpack_pack_uint64(pk, r->cl);
}

int
cs_changeset_encode(const struct cs_changeset *cs, uint8_t **out, size_t *outlen)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int ret = CS_ENOMEM;

    *out = NULL;
    *outlen = 0;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);

    const struct cs_changeset_header *h = &cs->h;
    if (msgpack_pack_array(&pk, 9) || msgpack_pack_uint32(&pk, CS_CHANGESET_FORMAT) ||
        pack_id(&pk, h->origin.b) || msgpack_pack_uint64(&pk, h->seq_first) ||
        msgpack_pack_uint64(&pk, h->seq_last) || msgpack_pack_uint32(&pk, h->schema) ||
        msgpack_pack_uint64(&pk, h->hub_time) || msgpack_pack_array(&pk, cs->names.count))
        goto out;
    for (uint32_t i = 0; i < cs->names.count; i++)
        if (msgpack_pack_str(&pk, cs->names.e[i].len) ||
            msgpack_pack_str_body(&pk, cs->arena + cs->names.e[i].off, cs->names.e[i].len))
            goto out;
    if (msgpack_pack_array(&pk, cs->origins.count))
        goto out;
    for (uint32_t i = 0; i < cs->origins.count; i++)
        if (pack_id(&pk, cs->arena + cs->origins.e[i].off))
            goto out;
    if (msgpack_pack_array(&pk, (uint32_t)cs->nrecs))
        goto out;
    for (size_t i = 0; i < cs->nrecs; i++)
        if (pack_rec(&pk, cs, &cs->recs[i]))
            goto out;
    /* Never emit what a peer's decoder would refuse. */
    if (sb.size > CS_CHANGESET_MAX_BYTES) {
        ret = CS_ETOOBIG;
        goto out;
    }
    *outlen = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    ret = 0;
out:
    msgpack_sbuffer_destroy(&sb);
    return ret;
}

/* ---- decoding ---- */

static int
get_index(const struct cs__mpdec *d, const msgpack_object *o, uint32_t count, uint32_t *ix,
          size_t i, const char *what)
{
    uint64_t v = 0;
    int ret = cs__mp_uint(d, o, UINT32_MAX, &v, what);
    if (ret != 0)
        return ret;
    if (v >= count)
        return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                       _("change %zu: %s %llu is out of range (%u entries)"), i, what,
                       (unsigned long long)v, count);
    *ix = (uint32_t)v;
    return 0;
}

static int
decode_value(const struct cs__mpdec *d, struct cs_changeset *cs, const msgpack_object *o,
             struct rec *r, size_t i)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        r->vtype = CS_VNIL;
        return 0;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return cs_errf(d->err, d->errlen, CS_ETOOBIG,
                           _("change %zu: integer value is out of range"), i);
        r->vtype = CS_VINT;
        r->v.i = (int64_t)o->via.u64;
        return 0;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        r->vtype = CS_VINT;
        r->v.i = o->via.i64;
        return 0;
    case MSGPACK_OBJECT_FLOAT64:
        r->vtype = CS_VFLOAT;
        r->v.f = o->via.f64;
        return 0;
    case MSGPACK_OBJECT_STR:
        if (!cs_utf8_valid((const uint8_t *)o->via.str.ptr, o->via.str.size))
            return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                           _("change %zu: text value is not valid UTF-8"), i);
        r->vtype = CS_VTEXT;
        r->vlen = o->via.str.size;
        return arena_put(cs, o->via.str.ptr, o->via.str.size, 0, &r->voff);
    case MSGPACK_OBJECT_BIN:
        r->vtype = CS_VBLOB;
        r->vlen = o->via.bin.size;
        return arena_put(cs, o->via.bin.ptr, o->via.bin.size, 0, &r->voff);
    default:
        return cs_errf(d->err, d->errlen, CS_ETYPE,
                       _("change %zu: value is not nil, integer, float, text or blob"), i);
    }
}

static int
decode_change(const struct cs__mpdec *d, struct cs_changeset *cs, const msgpack_object *o, size_t i)
{
    const msgpack_object *f = NULL;
    uint32_t nf = 0;
    struct rec *r = NULL;
    uint64_t prev_origin = 0;
    int ret;

    if ((ret = cs__mp_array(d, o, &f, &nf, "change")) != 0)
        return ret;
    if (nf != 9)
        return cs_errf(d->err, d->errlen, CS_ECOUNT, _("change %zu has %u fields, not 9"), i, nf);
    if ((ret = rec_push(cs, &r)) != 0)
        return ret;
    if ((ret = get_index(d, &f[0], cs->names.count, &r->table, i, "table index")) != 0 ||
        (ret = cs__mp_bin_exact(d, &f[1], r->row.b, CS_ID_LEN, "row id")) != 0 ||
        (ret = get_index(d, &f[2], cs->names.count, &r->column, i, "column index")) != 0 ||
        (ret = decode_value(d, cs, &f[3], r, i)) != 0 ||
        (ret = cs__mp_uint(d, &f[4], UINT64_MAX, &r->hlc, "hlc")) != 0 ||
        (ret = get_index(d, &f[5], cs->origins.count, &r->origin, i, "origin index")) != 0 ||
        (ret = cs__mp_uint(d, &f[6], UINT64_MAX, &r->prev_hlc, "prev hlc")) != 0 ||
        (ret = cs__mp_uint(d, &f[7], UINT32_MAX, &prev_origin, "prev origin index")) != 0 ||
        (ret = cs__mp_uint(d, &f[8], CS_CL_MAX, &r->cl, "causal length")) != 0)
        return ret;
    if (r->hlc == 0 || r->prev_hlc >= r->hlc)
        return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                       _("change %zu: prev hlc is not older than its hlc"), i);
    if (r->prev_hlc == 0) {
        if (prev_origin != 0)
            return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                           _("change %zu: prev origin without a prev hlc"), i);
        r->prev_origin = NONE;
    } else {
        if (prev_origin >= cs->origins.count)
            return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                           _("change %zu: prev origin index is out of range"), i);
        r->prev_origin = (uint32_t)prev_origin;
    }
    cs->nrecs++;
    return 0;
}

static int
decode_root(const struct cs__mpdec *d, struct cs_changeset *cs, const msgpack_object *root)
{
    const msgpack_object *f = NULL, *names = NULL, *origins = NULL, *changes = NULL;
    uint32_t nf = 0, nnames = 0, norigins = 0, nchanges = 0;
    uint64_t v = 0;
    int ret;

    if ((ret = cs__mp_array(d, root, &f, &nf, "change set")) != 0)
        return ret;
    if (nf < 1)
        return cs_errf(d->err, d->errlen, CS_ECOUNT, _("change set is empty"));
    /* The version comes first so a newer format is named as such, not as garbage. */
    if ((ret = cs__mp_uint(d, &f[0], UINT32_MAX, &v, "format version")) != 0)
        return ret;
    if (v != CS_CHANGESET_FORMAT)
        return cs_errf(d->err, d->errlen, CS_EVERSION,
                       _("change set format %llu is not supported (this is %d)"),
                       (unsigned long long)v, CS_CHANGESET_FORMAT);
    if (nf != 9)
        return cs_errf(d->err, d->errlen, CS_ECOUNT, _("change set has %u fields, not 9"), nf);
    cs->h.version = (uint32_t)v;
    if ((ret = cs__mp_bin_exact(d, &f[1], cs->h.origin.b, CS_ID_LEN, "origin")) != 0 ||
        (ret = cs__mp_uint(d, &f[2], UINT64_MAX, &cs->h.seq_first, "first seq")) != 0 ||
        (ret = cs__mp_uint(d, &f[3], UINT64_MAX, &cs->h.seq_last, "last seq")) != 0 ||
        (ret = cs__mp_uint(d, &f[4], UINT32_MAX, &v, "schema version")) != 0)
        return ret;
    cs->h.schema = (uint32_t)v;
    if ((ret = cs__mp_uint(d, &f[5], UINT64_MAX, &cs->h.hub_time, "hub time")) != 0)
        return ret;
    if (cs->h.seq_first > cs->h.seq_last)
        return cs_errf(d->err, d->errlen, CS_EMALFORMED, _("first seq %llu is after last seq %llu"),
                       (unsigned long long)cs->h.seq_first, (unsigned long long)cs->h.seq_last);

    if ((ret = cs__mp_array(d, &f[6], &names, &nnames, "name list")) != 0)
        return ret;
    if (nnames > CS_CHANGESET_MAX_NAMES)
        return cs_errf(d->err, d->errlen, CS_ETOOBIG, _("%u names is over the limit %u"), nnames,
                       CS_CHANGESET_MAX_NAMES);
    for (uint32_t i = 0; i < nnames; i++) {
        const msgpack_object *n = &names[i];
        uint32_t ix;
        if (n->type != MSGPACK_OBJECT_STR)
            return cs_errf(d->err, d->errlen, CS_ETYPE, _("name %u is not text"), i);
        if (!name_valid(n->via.str.ptr, n->via.str.size))
            return cs_errf(d->err, d->errlen, CS_EMALFORMED,
                           _("name %u is empty, too long or not UTF-8"), i);
        ret = dict_intern(cs, &cs->names, n->via.str.ptr, n->via.str.size, 1, UINT32_MAX, 1, &ix);
        if (ret == CS_EDUPLICATE)
            return cs_errf(d->err, d->errlen, ret, _("name %u is listed twice"), i);
        if (ret != 0)
            return ret;
    }

    if ((ret = cs__mp_array(d, &f[7], &origins, &norigins, "origin list")) != 0)
        return ret;
    if (norigins > CS_CHANGESET_MAX_ORIGINS)
        return cs_errf(d->err, d->errlen, CS_ETOOBIG, _("%u origins is over the limit %u"),
                       norigins, CS_CHANGESET_MAX_ORIGINS);
    for (uint32_t i = 0; i < norigins; i++) {
        struct cs_id id;
        uint32_t ix;
        if ((ret = cs__mp_bin_exact(d, &origins[i], id.b, CS_ID_LEN, "origin")) != 0)
            return ret;
        ret = dict_intern(cs, &cs->origins, id.b, CS_ID_LEN, 0, UINT32_MAX, 1, &ix);
        if (ret == CS_EDUPLICATE)
            return cs_errf(d->err, d->errlen, ret, _("origin %u is listed twice"), i);
        if (ret != 0)
            return ret;
    }

    if ((ret = cs__mp_array(d, &f[8], &changes, &nchanges, "change list")) != 0)
        return ret;
    if (nchanges > CS_CHANGESET_MAX_CHANGES)
        return cs_errf(d->err, d->errlen, CS_ETOOBIG, _("%u changes is over the limit %u"),
                       nchanges, CS_CHANGESET_MAX_CHANGES);
    if (nchanges > 0) {
        cs->recs = malloc(nchanges * sizeof(*cs->recs));
        if (cs->recs == NULL)
            return CS_ENOMEM;
        cs->caprecs = nchanges;
    }
    for (uint32_t i = 0; i < nchanges; i++)
        if ((ret = decode_change(d, cs, &changes[i], i)) != 0)
            return ret;
    return 0;
}

int
cs_changeset_decode(struct cs_changeset **out, const uint8_t *buf, size_t len, char *err,
                    size_t errlen)
{
    struct cs__mpdec d = {err, errlen};
    struct cs_changeset *cs = NULL;
    msgpack_unpacked up;
    int ret;

    *out = NULL;
    if (err != NULL && errlen > 0)
        err[0] = 0;
    msgpack_unpacked_init(&up);
    if (len > CS_CHANGESET_MAX_BYTES) {
        ret = cs_errf(err, errlen, CS_ETOOBIG, _("change set of %zu bytes is over the limit %u"),
                      len, CS_CHANGESET_MAX_BYTES);
        goto out;
    }
    /*
     * Depth 3: the set, its change list, one change. A value is never a
     * container. Every object costs the unpacker 24 bytes whatever its size,
     * so their number is bounded by what a valid set can hold in len bytes:
     * the root and its fields, at most CS_CHANGESET_MAX_NAMES names, origins
     * of 18 bytes, and changes of 10 objects in at least 27 bytes. Anything
     * denser (16 MiB of nils took 402 MiB: review F9) is refused unbuilt.
     */
    uint64_t max_objects = 16 + CS_CHANGESET_MAX_NAMES + ((uint64_t)len / 27 + 1) * 10;
    ret = cs__mp_unpack_objects(&d, &up, buf, len, 3, CS_CHANGESET_MAX_CHANGES, CS_VALUE_MAX,
                                max_objects, "change set");
    if (ret != 0)
        goto out;
    if ((ret = cs_changeset_new(&cs, NULL)) != 0)
        goto out;
    if ((ret = decode_root(&d, cs, &up.data)) != 0)
        goto out;
    *out = cs;
    cs = NULL;
out:
    if (ret != 0 && err != NULL && errlen > 0 && err[0] == 0)
        snprintf(err, errlen, "%s", cs_strerror(ret));
    cs_changeset_free(cs);
    msgpack_unpacked_destroy(&up);
    return ret;
}
