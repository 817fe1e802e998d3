/* SPDX-License-Identifier: MIT */
/*
 * The rules of writing a meeting, which `cellsync meeting add|edit|assess`
 * and the meeting form of `cellsync ui` both follow (client.h): what a
 * meeting must have before it is written, the rows of an assessment, and
 * the one transaction that writes a meeting with its attendance and an
 * assessment, so that a form sent once is stored whole or not at all.
 * Each front end says in its own words what to type; the rule is here once.
 */
#include <string.h>

#include "cellsync/attend.h"
#include "cellsync/error.h"
#include "client.h"

static size_t
field_index(const char *column)
{
    return (size_t)(entity_field(&ent_meeting, column) - ent_meeting.fields);
}

int
meetings_check(struct client *c, const char **fv, int adding, const char **missing, char *err,
               size_t errlen)
{
    const char *date = fv[field_index("held_on")];

    *missing = NULL;
    if (err != NULL && errlen > 0)
        err[0] = 0;
    /* A meeting is known by its date: a new one needs it, an old one cannot lose it. */
    if ((adding && (date == NULL || date[0] == 0)) || (date != NULL && date[0] == 0)) {
        *missing = "held_on";
        return CS_EINVAL;
    }
    if (adding && fv[field_index("kind")] == NULL)
        fv[field_index("kind")] = "regular";
    /* Check what is typed before anyone writes minutes in an editor. */
    for (size_t i = 0; i < ent_meeting.nfields; i++) {
        struct field_buf buf;
        struct cs_value v;
        int ret;
        if (fv[i] != NULL && ent_meeting.fields[i].type != FT_TEXT &&
            (ret = field_value(c, &ent_meeting.fields[i], fv[i], &buf, &v, err, errlen)) != 0)
            return ret;
    }
    return 0;
}

/* Sets one register of a row; a NULL or empty text is left unset. */
static int
set_text(struct client *c, const char *table, const struct cs_id *row, const char *column,
         const char *text, char *err, size_t errlen)
{
    if (text == NULL || text[0] == 0)
        return 0;
    return cs_replica_set_text(c->rep, table, row, column, text, err, errlen);
}

int
meetings_assess_write(struct client *c, const struct cs_id *meeting, const struct cs_id *candidate,
                      const char *const *texts, struct cs_id *id, char *err, size_t errlen)
{
    static const char *const columns[MEETINGS_ASSESS_TEXTS] = {"strengths", "weaknesses",
                                                               "next_steps"};
    struct cs_value mv = {.type = CS_VBLOB, .p = meeting->b, .n = CS_ID_LEN};
    struct cs_value cv = {.type = CS_VBLOB, .p = candidate->b, .n = CS_ID_LEN};
    int ret;

    cs_id_new(id);
    ret = cs_replica_set(c->rep, "assessment", id, "meeting", &mv, err, errlen);
    if (ret == 0)
        ret = cs_replica_set(c->rep, "assessment", id, "candidate", &cv, err, errlen);
    for (size_t i = 0; i < MEETINGS_ASSESS_TEXTS && ret == 0; i++)
        ret = set_text(c, "assessment", id, columns[i], texts[i], err, errlen);
    return ret;
}

int
meetings_write(struct client *c, const struct cs_id *row, const struct meeting_rec *m,
               struct cs_id *assessment, char *err, size_t errlen)
{
    int ret;

    if (err != NULL && errlen > 0)
        err[0] = 0;
    if ((ret = cs_replica_begin(c->rep, err, errlen)) != 0)
        return ret;
    if (m->fv != NULL)
        ret = fields_write(c, &ent_meeting, row, m->fv, err, errlen);
    if (ret == 0 && m->natt > 0)
        ret = cs_attend_write(c->rep, row, m->att, m->natt, err, errlen);
    if (ret == 0 && m->candidate != NULL)
        ret = meetings_assess_write(c, row, m->candidate, m->assess, assessment, err, errlen);
    if (ret == 0)
        ret = cs_replica_commit(c->rep, err, errlen);
    if (ret != 0) {
        cs_replica_rollback(c->rep);
        if (err != NULL && errlen > 0 && err[0] == 0)
            cs_errf(err, errlen, ret, "%s", cs_strerror(ret));
    }
    return ret;
}
