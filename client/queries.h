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

/*
 * The members `member list` and the members page show, in the order of a
 * Vietnamese roll: ?1 a status code or NULL.
 */
#define MEMBER_LIST_WHERE " FROM member WHERE cl % 2 = 1 AND (?1 IS NULL OR status = ?1)"
#define MEMBER_LIST_ORDER " ORDER BY full_name COLLATE vi_name, id"

/*
 * The meetings `meeting list` and the meetings page show, newest first,
 * over meeting m, and what each counts: who came, how many assessed.
 */
#define MEETING_COUNTS                                                                             \
    "(SELECT count(*) FROM attendance a WHERE a.meeting = m.id AND a.cl % 2 = 1"                   \
    "  AND a.present = 1) AS present,"                                                             \
    " (SELECT count(*) FROM assessment s WHERE s.meeting = m.id AND s.cl % 2 = 1) AS assessed"
#define MEETING_LIST_FROM " FROM meeting m WHERE m.cl % 2 = 1 ORDER BY m.held_on DESC, m.id DESC"

/*
 * A meeting's attendance (member name, ?2 or ?3 as present or absent,
 * reason) and its assessments (candidate name, strengths, weaknesses, next
 * steps, short id) as `meeting show` and the meeting page show them:
 * ?1 the meeting. LINE puts a text on one line (a table's).
 */
#define MEETING_ATTENDANCE_SQL(LINE)                                                               \
    "SELECT coalesce(p.full_name, short_id(a.member)),"                                            \
    " CASE WHEN a.present THEN ?2 ELSE ?3 END, " LINE(                                             \
        "a.reason") "  FROM attendance a LEFT JOIN member p ON p.id = a.member"                    \
                    " WHERE a.meeting = ?1 AND a.cl % 2 = 1"                                       \
                    " ORDER BY p.full_name COLLATE vi_name, a.id"
#define MEETING_ASSESSMENTS_SQL(LINE)                                                              \
    "SELECT coalesce(k.full_name, short_id(s.candidate)), " LINE("s.strengths") ", " LINE(         \
        "s.weaknesses") ", " LINE("s.next_steps") ", short_id(s.id)"                               \
                                                  "  FROM assessment s LEFT JOIN candidate k ON "  \
                                                  "k.id = s.candidate"                             \
                                                  " WHERE s.meeting = ?1 AND s.cl % 2 = 1 ORDER "  \
                                                  "BY k.full_name COLLATE vi_name, s.id"

#endif
