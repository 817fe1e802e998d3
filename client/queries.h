/* SPDX-License-Identifier: MIT */
/*
 * The queries that more than one front end of the client runs: the counts
 * of `cellsync status` and the home page of `cellsync ui`, and which
 * candidates `candidate list` and the candidates page show. One text each,
 * so the two front ends cannot count or list differently.
 */
#ifndef CELLSYNC_CLIENT_QUERIES_H
#define CELLSYNC_CLIENT_QUERIES_H

/*
 * The counts. Candidates in progress are those not yet official nor
 * withdrawn (an admitted candidate is counted as a member); members are
 * those still on the cell's books.
 *   ?1 this device's id, ?2 the hub's acknowledged seq
 */
#define COUNT_CANDIDATES                                                                           \
    "(SELECT count(*) FROM candidate WHERE cl % 2 = 1"                                             \
    " AND coalesce(stage, '') NOT IN ('official', 'withdrawn'))"
#define COUNT_MEMBERS                                                                              \
    "(SELECT count(*) FROM member WHERE cl % 2 = 1"                                                \
    " AND coalesce(status, '') NOT IN ('transferred_out', 'struck_off', 'deceased'))"
#define COUNT_MEETINGS "(SELECT count(*) FROM meeting WHERE cl % 2 = 1)"
#define COUNT_UNACKED  "(SELECT count(*) FROM cs_version WHERE origin = ?1 AND seq > ?2)"
#define COUNT_OVERDUE  "(SELECT count(*) FROM temp.due_rows WHERE days_left < 0)"

/*
 * The candidates a list shows, ordered by the caller: ?1 a stage code or
 * NULL, ?2 true to include the withdrawn and official ones (a stage given
 * in ?1 includes them too).
 */
#define CANDIDATE_LIST_WHERE                                                                       \
    " FROM candidate WHERE cl % 2 = 1 AND (?1 IS NULL OR stage = ?1)"                              \
    " AND (?2 OR ?1 IS NOT NULL OR stage NOT IN ('withdrawn', 'official'))"

/*
 * The deadlines `due` lists and the home page shows, from temp.due_rows
 * (cs_candidate_due_fill()): ?1 is --within (NULL: all); ordered soonest first.
 */
#define DUE_ROWS                                                                                   \
    "SELECT candidate, name, kind, kind_label, due, days_left FROM temp.due_rows"                  \
    " WHERE days_left < 0 OR ?1 IS NULL OR days_left <= ?1"                                        \
    " ORDER BY due, name COLLATE vi_name, candidate, kind"

#endif
