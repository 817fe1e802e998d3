/* SPDX-License-Identifier: MIT */
/*
 * A candidate's steps as this device writes them (client.h): the members a
 * step names, a new candidate with its past steps, advance, undo and
 * withdraw, each judged with this device's casework (today, holidays,
 * role). `cellsync candidate` and the web pages (ui/candidate.c) both call
 * these, and print what was done each in their own way.
 */
#include "cellsync/candidate.h"
#include "cellsync/error.h"
#include "cellsync/i18n.h"
#include "cellsync/meta.h"
#include "client.h"

int
client_step_members(struct client *c, const char *helper, const char *sp1, const char *sp2,
                    struct step_members *m, struct cs_step *s, char *err, size_t errlen)
{
    const char *typed[] = {helper, sp1, sp2};
    struct cs_id *ids[] = {&m->helper, &m->sponsor[0], &m->sponsor[1]};
    const struct cs_id **slots[] = {&s->helper, &s->sponsor[0], &s->sponsor[1]};
    int ret;

    for (size_t i = 0; i < 3; i++) {
        if (typed[i] == NULL)
            continue;
        if ((ret = records_find(c, "member", typed[i], ids[i], err, errlen)) != 0)
            return ret;
        *slots[i] = ids[i];
    }
    return 0;
}

/* The casework of a step made on this device: today, the holidays, the device's role. */
static void
casework(struct client *c, struct cs_casework *k, char *role, size_t rolelen,
         const char *force_reason, void (*excepted)(void *ud, const char *message), void *ud)
{
    role[0] = 0;
    cs_replica_meta_get(c->rep, CS_META_ROLE, role, rolelen);
    *k = (struct cs_casework){.today = c->today,
                              .hol = c->hol,
                              .role = role,
                              .force_reason = force_reason,
                              .excepted = excepted,
                              .ud = ud};
}

int
client_cand_add(struct client *c, const char **fv, struct cs_step *steps, size_t n,
                const char *force_reason, void (*excepted)(void *ud, const char *message), void *ud,
                struct cs_id *id, int *failed, char *err, size_t errlen)
{
    char role[16];
    struct cs_casework k;
    size_t step = 0;
    int ret;

    *failed = -1;
    casework(c, &k, role, sizeof(role), force_reason, excepted, ud);
    cs_id_new(id);
    if ((ret = cs_replica_begin(c->rep, err, errlen)) != 0)
        return ret;
    if ((ret = fields_write(c, &ent_candidate, id, fv, err, errlen)) != 0)
        goto out;
    if ((ret = cs_candidate_record(c->rep, id, steps, n, &k, &step, err, errlen)) != 0) {
        *failed = (int)step;
        goto out;
    }
    ret = cs_replica_commit(c->rep, err, errlen);
out:
    if (ret != 0)
        cs_replica_rollback(c->rep);
    return ret;
}

int
client_cand_advance(struct client *c, const struct cs_id *id, struct cs_step *s,
                    const char *force_reason, void (*excepted)(void *ud, const char *message),
                    void *ud, char *err, size_t errlen)
{
    char role[16];
    struct cs_casework k;

    casework(c, &k, role, sizeof(role), force_reason, excepted, ud);
    return cs_candidate_advance(c->rep, id, s, &k, err, errlen);
}

int
client_cand_undo(struct client *c, const struct cs_id *id, const char *reason, enum cs_stage *from,
                 enum cs_stage *to, char *err, size_t errlen)
{
    char role[16];
    struct cs_casework k;

    casework(c, &k, role, sizeof(role), NULL, NULL, NULL);
    return cs_candidate_undo(c->rep, id, reason, &k, from, to, err, errlen);
}

int
client_cand_withdraw(struct client *c, const struct cs_id *id, int32_t on, const char *reason,
                     char *err, size_t errlen)
{
    char role[16];
    struct cs_casework k;

    casework(c, &k, role, sizeof(role), NULL, NULL, NULL);
    return cs_candidate_withdraw(c->rep, id, on, reason, &k, err, errlen);
}
