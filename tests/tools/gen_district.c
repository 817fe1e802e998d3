/* SPDX-License-Identifier: MIT */
/*
 * gen_district: a generated district for the reports' tests and benches. It
 * makes a hub state directory the way `cellsyncd init` does (hub_init with
 * an org-tree CSV: a district, its grassroots organisations and their
 * cells), then writes members, candidates, ratings and targets through the
 * replica API, in transactions of about 500 records, and gives the hub a
 * device per cell with sync cursors, a few refusals and a few open
 * conflicts, as if they had synced.
 *
 *   gen_district --state DIR --seed N [--grassroots 60] [--cells 250]
 *                [--members 5000] [--candidates 600] [--today YYYY-MM-DD]
 *                [--year YEAR]
 *
 * The records are a function of the seed, the sizes and today (default
 * cs_date_today(), so $CELLSYNC_TODAY): their own PRNG (splitmix64), ids
 * derived from the seed and the record's number (cs_id_derive), no rand()
 * and no clock. Only the keys, the register stamps and the device cursors
 * (fractions of the hub's seq) differ between two runs. Names are
 * Vietnamese, made from syllable lists; the numbers are plausible for a
 * district of the seed articles (Núi Thành: 63 grassroots organisations,
 * 225 cells, 5,279 members), not real.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/changeset.h"
#include "cellsync/error.h"
#include "cellsync/hlc.h"
#include "cellsync/replica.h"
#include "cellsync/rules.h"
#include "cellsync/schema.h"
#include "cellsync/version.h"
#include "hub.h"

#define BATCH 500 /* records per transaction, at most */

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "gen_district: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

/* ---- PRNG: splitmix64 (Steele, Lea, Flood 2014) ---- */

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in 0..n-1 (n > 0); the modulo bias is far below what matters here. */
static int
rng_below(int n)
{
    return (int)(rng_next() % (uint64_t)n);
}

/* Uniform in lo..hi. */
static int
rng_range(int lo, int hi)
{
    return lo + rng_below(hi - lo + 1);
}

/* An index into weights[0..n), drawn by weight. */
static int
rng_pick(const int *weights, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int r = rng_below(total);
    for (int i = 0; i < n; i++) {
        if (r < weights[i])
            return i;
        r -= weights[i];
    }
    return n - 1;
}

#define PICK(arr) (arr)[rng_below((int)(sizeof(arr) / sizeof((arr)[0])))]

/* ---- names ---- */

static const char *const families[] = {
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê",  "Phạm",  "Huỳnh", "Hoàng",  "Phan",
    "Võ",     "Vũ",     "Đặng",   "Bùi",  "Đỗ",   "Hồ", "Ngô", "Dương", "Lý",    "Trương", "Đinh",
};
static const char *const middles_m[] = {"Văn",  "Văn",  "Hữu",  "Đức",
                                        "Minh", "Quốc", "Công", "Thanh"};
static const char *const middles_f[] = {"Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"};
static const char *const givens_m[] = {"An",    "Bình", "Cường", "Dũng",  "Hải",   "Hùng", "Khoa",
                                       "Long",  "Minh", "Nam",   "Phong", "Quang", "Sơn",  "Tâm",
                                       "Thắng", "Tiến", "Trung", "Tuấn",  "Việt",  "Vinh"};
static const char *const givens_f[] = {"Anh",    "Bích",  "Chi",  "Dung",  "Hà",    "Hạnh",  "Hoa",
                                       "Hương",  "Lan",   "Linh", "Mai",   "Ngân",  "Nhung", "Oanh",
                                       "Phương", "Quyên", "Thảo", "Trang", "Tuyết", "Yến"};
/* Place names: two syllables from here. */
static const char *const place_syl[] = {
    "Tam", "Bình", "An",    "Hòa",  "Phú",  "Thạnh", "Xuân", "Mỹ",    "Tân", "Hiệp",  "Đông",
    "Tây", "Nam",  "Bắc",   "Thọ",  "Lộc",  "Phước", "Sơn",  "Trà",   "Kỳ",  "Quang", "Vinh",
    "Hải", "Thái", "Trung", "Hưng", "Long", "Thuận", "Đức",  "Nghĩa", "Lập", "Hưng",
};

static void
person_name(int female, char *buf, size_t len)
{
    snprintf(buf, len, "%s %s %s", PICK(families), female ? PICK(middles_f) : PICK(middles_m),
             female ? PICK(givens_f) : PICK(givens_m));
}

static void
place_name(char *buf, size_t len)
{
    const char *a = PICK(place_syl), *b = PICK(place_syl);
    while (strcmp(a, b) == 0)
        b = PICK(place_syl);
    snprintf(buf, len, "%s %s", a, b);
}

/* ---- the org tree ---- */

struct unit {
    char code[24];
    int parent; /* index in units, -1 for the root */
    int kind;   /* K_* for grassroots; cells take their parent's */
    int admissions, students, non_state;
};

enum { K_COMMUNE, K_SCHOOL, K_ENTERPRISE, K_AGENCY, K_POLICE, K_MILITARY, K__COUNT };
static const char *const kind_codes[K__COUNT] = {"commune", "school", "enterprise",
                                                 "agency",  "police", "military"};
static const int kind_weights[K__COUNT] = {55, 10, 12, 13, 5, 5};

static struct unit *units;
static int nunits, ncells, *cells; /* cells: indexes into units */

/* A CSV field in double quotes ("" for a quote), as hub_init reads it. */
static void
csv_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void
org_line(FILE *f, const char *code, const char *parent, const char *level, const char *kind,
         const char *name)
{
    fprintf(f, "%s,%s,%s,%s,", code, parent, level, kind);
    csv_quoted(f, name);
    fputc('\n', f);
}

static void
make_tree(const char *csv, int ngrass, int ncell)
{
    FILE *f = fopen(csv, "w");
    char name[160], place[64];
    if (f == NULL) {
        fprintf(stderr, "gen_district: cannot write '%s': %s\n", csv, strerror(errno));
        exit(1);
    }
    nunits = 1 + ngrass + ncell;
    units = calloc((size_t)nunits, sizeof(*units));
    cells = calloc((size_t)ncell, sizeof(*cells));
    if (units == NULL || cells == NULL)
        die("org tree", CS_ENOMEM);
    fputs("id,parent,level,kind,name\n", f);
    snprintf(units[0].code, sizeof(units[0].code), "NT");
    units[0].parent = -1;
    org_line(f, "NT", "", "district", "district", "Đảng bộ huyện Tam Giang");

    /* Every organisation has a cell; the others go where the dice say. */
    int *per = calloc((size_t)ngrass, sizeof(*per));
    if (per == NULL)
        die("org tree", CS_ENOMEM);
    for (int g = 0; g < ngrass; g++)
        per[g] = 1;
    for (int c = ngrass; c < ncell; c++)
        per[rng_below(ngrass)]++;

    int next_cell = 1 + ngrass;
    for (int g = 0; g < ngrass; g++) {
        struct unit *u = &units[1 + g];
        u->parent = 0;
        u->kind = rng_pick(kind_weights, K__COUNT);
        snprintf(u->code, sizeof(u->code), "NT%02d", g + 1);
        place_name(place, sizeof(place));
        static const char *const prefix[K__COUNT] = {
            "Đảng bộ xã ",           "Chi bộ Trường THPT ", "Chi bộ Công ty Cổ phần ",
            "Đảng bộ cơ quan UBND ", "Đảng bộ Công an xã ", "Chi bộ Quân sự xã ",
        };
        snprintf(name, sizeof(name), "%s%s", prefix[u->kind], place);
        org_line(f, u->code, "NT", "grassroots", kind_codes[u->kind], name);
        for (int k = 0; k < per[g]; k++) {
            struct unit *c = &units[next_cell];
            c->parent = 1 + g;
            c->kind = u->kind;
            snprintf(c->code, sizeof(c->code), "NT%02d-%02d", g + 1, (k + 1) % 1000);
            if (u->kind == K_COMMUNE) {
                place_name(place, sizeof(place));
                snprintf(name, sizeof(name), "Chi bộ thôn %s", place);
            } else {
                snprintf(name, sizeof(name), "Chi bộ %d", k + 1);
            }
            org_line(f, c->code, u->code, "cell", u->kind == K_COMMUNE ? "village" : "office",
                     name);
            cells[next_cell - 1 - ngrass] = next_cell;
            next_cell++;
        }
    }
    ncells = ncell;
    free(per);
    if (fclose(f) != 0) {
        fprintf(stderr, "gen_district: cannot write '%s': %s\n", csv, strerror(errno));
        exit(1);
    }
}

/* ---- writing ---- */

static struct cs_replica *rep;
static int in_batch, batch_unit;
static uint64_t seed;

/*
 * Starts a record of unit (an index of units): commits the transaction before
 * it when that one is full or holds another unit's records. A hub's
 * transactions are each one device's chunk, a cell's records; written so,
 * the change log keys each transaction by the unit it touches, as a real
 * hub's does (a transaction of many units' records would name every unit).
 */
static void
batch_row(int unit)
{
    int ret;
    if (in_batch == BATCH || (in_batch > 0 && unit != batch_unit)) {
        if ((ret = cs_replica_commit(rep, err, sizeof(err))) != 0)
            die("commit", ret);
        in_batch = 0;
    }
    if (in_batch == 0 && (ret = cs_replica_begin(rep, err, sizeof(err))) != 0)
        die("begin", ret);
    batch_unit = unit;
    in_batch++;
}

static void
batch_end(void)
{
    int ret;
    if (in_batch > 0 && (ret = cs_replica_commit(rep, err, sizeof(err))) != 0)
        die("commit", ret);
    in_batch = 0;
}

static void
row_id(struct cs_id *id, const char *table, int n)
{
    char name[96];
    snprintf(name, sizeof(name), "gen_district:%llu:%s:%d", (unsigned long long)seed, table, n);
    cs_id_derive(id, name);
}

static void
set_text(const char *table, const struct cs_id *id, const char *col, const char *text)
{
    int ret;
    if (text != NULL && (ret = cs_replica_set_text(rep, table, id, col, text, err, sizeof(err))))
        die(col, ret);
}

static void
set_int(const char *table, const struct cs_id *id, const char *col, long long v)
{
    struct cs_value val = {.type = CS_VINT, .i = v};
    int ret;
    if ((ret = cs_replica_set(rep, table, id, col, &val, err, sizeof(err))) != 0)
        die(col, ret);
}

static void
set_blob(const char *table, const struct cs_id *id, const char *col, const struct cs_id *ref)
{
    struct cs_value val = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    int ret;
    if ((ret = cs_replica_set(rep, table, id, col, &val, err, sizeof(err))) != 0)
        die(col, ret);
}

static void
set_date(const char *table, const struct cs_id *id, const char *col, int32_t day)
{
    char buf[CS_DATE_BUFSZ];
    set_text(table, id, col, cs_date_format(day, buf));
}

/* ---- members ---- */

struct member {
    struct cs_id id;
    int cell; /* index into units */
    int official;
};

static struct member *members;
static int nmembers;

enum { S_PROBATIONARY, S_OFFICIAL, S_TRANSFERRED, S_STRUCK, S_DECEASED, S__COUNT };
static const char *const status_codes[S__COUNT] = {"probationary", "official", "transferred_out",
                                                   "struck_off", "deceased"};
static const int status_weights[S__COUNT] = {5, 85, 3, 1, 6};

static void
make_members(int n, int32_t today, int year)
{
    char name[96], card[16];
    members = calloc((size_t)n, sizeof(*members));
    if (members == NULL)
        die("members", CS_ENOMEM);
    nmembers = n;
    int32_t latest_birth = cs_date_from_civil((struct cs_date){2005, 12, 31});
    for (int i = 0; i < n; i++) {
        struct member *m = &members[i];
        int female = rng_below(100) < 38;
        /* Half uniform over 1945-2005, half the older of two draws: an aging membership. */
        int by = 1945 + rng_below(61);
        if (rng_below(2)) {
            int other = 1945 + rng_below(61);
            by = other < by ? other : by;
        }
        int32_t birth =
            cs_date_from_civil((struct cs_date){by, rng_range(1, 12), rng_range(1, 28)});
        if (birth > latest_birth)
            birth = latest_birth;
        int status = rng_pick(status_weights, S__COUNT);
        int32_t adult = cs_date_add_months(birth, 18 * 12), ceremony = 0;
        if (status == S_PROBATIONARY) {
            ceremony = today - rng_range(1, 330);
            if (ceremony < adult)
                status = S_OFFICIAL;
        }
        if (status != S_PROBATIONARY) {
            int32_t hi = today - 400;
            if (hi < adult)
                hi = adult;
            ceremony = adult + rng_below(hi - adult + 1);
        }
        int32_t decision = ceremony - rng_range(5, 40);

        row_id(&m->id, "member", i);
        m->cell = cells[rng_below(ncells)];
        m->official = status == S_OFFICIAL;
        person_name(female, name, sizeof(name));
        snprintf(card, sizeof(card), "%08d", 10000000 + rng_below(89999999));

        batch_row(m->cell);
        set_text("member", &m->id, "full_name", name);
        set_text("member", &m->id, "sex", female ? "female" : "male");
        set_date("member", &m->id, "birth_date", birth);
        set_text("member", &m->id, "ethnicity", rng_below(100) < 90 ? "Kinh" : "Cơ Tu");
        set_text("member", &m->id, "card_no", card);
        set_text("member", &m->id, "org_unit", units[m->cell].code);
        set_text("member", &m->id, "status", status_codes[status]);
        set_date("member", &m->id, "decision_on", decision);
        set_date("member", &m->id, "ceremony_on", ceremony);
        if (status != S_PROBATIONARY)
            set_date("member", &m->id, "official_on", cs_date_add_months(ceremony, 12));

        /* The year's rating, for members in the Party at the end of it. */
        if (status == S_PROBATIONARY || status == S_OFFICIAL) {
            static const char *const grades[] = {"excellent", "good", "complete", "not_complete"};
            static const int grade_weights[] = {14, 68, 15, 3};
            struct cs_id rid;
            row_id(&rid, "rating", i);
            set_blob("rating", &rid, "member", &m->id);
            set_int("rating", &rid, "year", year);
            set_text("rating", &rid, "grade", grades[rng_pick(grade_weights, 4)]);
        }
    }
    batch_end();
}

/* An official member of the cell, or NULL. */
static const struct member *
official_of(int cell)
{
    int start = rng_below(nmembers);
    for (int k = 0; k < nmembers; k++) {
        const struct member *m = &members[(start + k) % nmembers];
        if (m->cell == cell && m->official)
            return m;
    }
    return NULL;
}

/* ---- candidates ---- */

static const char *const sources[] = {"youth_union",
                                      "militia",
                                      "teacher",
                                      "student",
                                      "non_state_worker",
                                      "demobilised_soldier",
                                      "religious_follower",
                                      "farmer_business",
                                      "other"};
static const int source_weights[] = {30, 6, 8, 10, 12, 7, 4, 15, 8};

/* Stage weights in schema order, then withdrawn. */
static const int stage_weights[CS_STAGE__COUNT + 1] = {18, 14, 12, 9, 8, 6, 5, 5, 12, 6, 5};

/* Days from reaching stage s to reaching s + 1. */
static int
gap_after(int s)
{
    static const int lo[CS_STAGE__COUNT] = {15, 20, 10, 20, 10, 5, 10, 5, 365, 0};
    static const int hi[CS_STAGE__COUNT] = {60, 90, 60, 90, 45, 30, 80, 45, 380, 0};
    return rng_range(lo[s], hi[s]);
}

/* How long ago the latest stage was reached, by stage. */
static int
age_of_latest(int s)
{
    switch (s) {
    case CS_STAGE_DECISION:
        return rng_range(0, 50); /* some ceremonies overdue */
    case CS_STAGE_CEREMONY:
        return rng_range(0, 390); /* some probations over, conversions due */
    case CS_STAGE_OFFICIAL:
        return rng_range(0, 700);
    default:
        return rng_range(0, 150);
    }
}

static const char *const stage_cols[CS_STAGE__COUNT] = {
    "identified_on",
    "helper_on",
    "class_on",
    "applied_on",
    "verified_on",
    "cell_resolution_on",
    "grassroots_resolution_on",
    "decision_on",
    "ceremony_on",
    "official_on",
};

static void
make_candidates(int n, int32_t today)
{
    char name[96], phone[16];
    for (int i = 0; i < n; i++) {
        struct cs_id id;
        int stage = rng_pick(stage_weights, CS_STAGE__COUNT + 1);
        int withdrawn = stage == CS_STAGE_WITHDRAWN;
        int reached = withdrawn ? rng_range(0, CS_STAGE_GRASSROOTS) : stage;
        int cell = cells[rng_below(ncells)];
        int female = rng_below(100) < 45;
        int32_t date[CS_STAGE__COUNT];
        int32_t withdrawn_on = 0;

        date[reached] = today - age_of_latest(reached);
        if (withdrawn) {
            withdrawn_on = date[reached] + rng_range(10, 60);
            if (withdrawn_on > today) {
                date[reached] -= withdrawn_on - today;
                withdrawn_on = today;
            }
        }
        for (int s = reached - 1; s >= 0; s--)
            date[s] = date[s + 1] - gap_after(s);
        int32_t birth = cs_date_add_months(date[0], -12 * rng_range(18, 40) - rng_range(0, 11));

        row_id(&id, "candidate", i);
        person_name(female, name, sizeof(name));
        snprintf(phone, sizeof(phone), "09%08d", rng_below(100000000));
        batch_row(cell);
        set_text("candidate", &id, "full_name", name);
        set_text("candidate", &id, "sex", female ? "female" : "male");
        set_date("candidate", &id, "birth_date", birth);
        set_text("candidate", &id, "phone", phone);
        set_text("candidate", &id, "org_unit", units[cell].code);
        set_text("candidate", &id, "source", sources[rng_pick(source_weights, 9)]);
        set_text("candidate", &id, "stage", withdrawn ? "withdrawn" : cs_stage_code(stage));
        for (int s = 0; s <= reached; s++)
            set_date("candidate", &id, stage_cols[s], date[s]);
        if (withdrawn) {
            set_date("candidate", &id, "withdrawn_on", withdrawn_on);
            set_text("candidate", &id, "withdrawn_reason", "chuyển công tác");
        }
        const struct member *helper = reached >= CS_STAGE_HELPER ? official_of(cell) : NULL;
        if (helper != NULL)
            set_blob("candidate", &id, "helper", &helper->id);
        if (reached >= CS_STAGE_APPLIED) {
            const struct member *s1 = official_of(cell), *s2 = official_of(cell);
            if (s1 != NULL) {
                set_blob("candidate", &id, "sponsor1", &s1->id);
                set_int("candidate", &id, "sponsor1_months", rng_range(12, 60));
            }
            if (s2 != NULL && s2 != s1) {
                set_blob("candidate", &id, "sponsor2", &s2->id);
                set_int("candidate", &id, "sponsor2_months", rng_range(12, 60));
            }
        }
    }
    batch_end();
}

/* ---- targets ---- */

static void
make_targets(int year)
{
    /* Cells first, so each organisation's target covers its cells' and a little more. */
    for (int i = 1; i < nunits; i++) {
        struct unit *u = &units[i];
        if (u->parent == 0)
            continue;
        static const int cell_targets[] = {0, 0, 1, 1, 1, 2};
        u->admissions = PICK(cell_targets);
        u->students = u->admissions > 0 && rng_below(100) < 20;
        u->non_state = u->admissions > u->students && rng_below(100) < 25;
        units[u->parent].admissions += u->admissions;
        units[u->parent].students += u->students;
        units[u->parent].non_state += u->non_state;
    }
    for (int i = 1; i < nunits; i++)
        if (units[i].parent == 0) {
            units[i].admissions += rng_range(0, 2);
            units[0].admissions += units[i].admissions;
            units[0].students += units[i].students;
            units[0].non_state += units[i].non_state;
        }
    for (int i = 0; i < nunits; i++) {
        struct unit *u = &units[i];
        struct cs_id id;
        char name[96];
        /* The id `cellsyncd target` gives the unit's target for the year. */
        snprintf(name, sizeof(name), "target:%s:%d", u->code, year);
        cs_id_derive(&id, name);
        batch_row(i);
        set_text("target", &id, "org_unit", u->code);
        set_int("target", &id, "year", year);
        set_int("target", &id, "admissions", u->admissions);
        set_int("target", &id, "students", u->students);
        set_int("target", &id, "non_state_workers", u->non_state);
    }
    batch_end();
}

/* ---- devices, refusals, conflicts ---- */

static void
exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "gen_district: %s\n", msg ? msg : sqlite3_errmsg(db));
        exit(1);
    }
}

/*
 * A device per cell, as enrollment and syncs would leave it: a last
 * contact from today back to two months (one in ten never synced, one in
 * fifty revoked), a cursor somewhere below the hub's seq. Devices are the
 * hub's own records, not registers, so they are written with SQL.
 */
static void
make_devices(int32_t today)
{
    sqlite3 *db = cs_replica_db(rep);
    sqlite3_stmt *st;
    uint64_t hub_seq = cs_replica_seq(rep);
    exec_sql(db, "BEGIN");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO hub_device (id, pk, org, role, name, enrolled_at,"
                           " last_contact, revoked_at, up_seq, down_seq)"
                           " VALUES (?1, ?2, ?3, 'cell', ?4, ?5, ?6, ?7, 0, ?8)",
                           -1, &st, NULL) != SQLITE_OK)
        die("devices", CS_ESQLITE);
    for (int c = 0; c < ncells; c++) {
        struct cs_id id;
        uint8_t pk[32];
        char name[64];
        row_id(&id, "device", c);
        for (int k = 0; k < 32; k += 8) {
            uint64_t r = rng_next();
            memcpy(pk + k, &r, 8);
        }
        snprintf(name, sizeof(name), "laptop-%s", units[cells[c]].code);
        int64_t day_s = (int64_t)today * 86400;
        int64_t enrolled = day_s - (int64_t)rng_range(60, 400) * 86400;
        int never = rng_below(10) == 0;
        /* Days since the last contact: today, within a week, a month, or two. */
        static const int band_lo[] = {0, 1, 8, 31}, band_hi[] = {0, 7, 30, 60};
        static const int band_weights[] = {30, 30, 25, 15};
        int band = rng_pick(band_weights, 4);
        int64_t last = never ? 0
                             : day_s - (int64_t)rng_range(band_lo[band], band_hi[band]) * 86400 +
                                   rng_range(0, 86399);
        if (!never && last < enrolled)
            last = enrolled;
        int revoked = rng_below(50) == 0;
        uint64_t down = never ? 0 : hub_seq - (uint64_t)rng_below((int)(hub_seq / 4 + 1));
        if (!never && rng_below(2))
            down = hub_seq;
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, id.b, CS_ID_LEN, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 2, pk, 32, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, units[cells[c]].code, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 5, enrolled);
        if (never)
            sqlite3_bind_null(st, 6);
        else
            sqlite3_bind_int64(st, 6, last);
        if (revoked)
            sqlite3_bind_int64(st, 7, last > 0 ? last + 3600 : enrolled + 86400);
        else
            sqlite3_bind_null(st, 7);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)down);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("devices", CS_ESQLITE);
    }
    sqlite3_finalize(st);

    /* Refusals: cells that tried to write an admission decision (a committee's field). */
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO hub_refused (at, device, tbl, row, col, hlc, origin, val,"
                           " reason) SELECT ?1, id, 'candidate', ?2, 'decision_on', 0, id, ?3,"
                           " 'role cell may not write candidate.decision_on'"
                           " FROM hub_device WHERE org = ?4",
                           -1, &st, NULL) != SQLITE_OK)
        die("refusals", CS_ESQLITE);
    for (int i = 0; i < 12; i++) {
        struct cs_id row;
        char date[CS_DATE_BUFSZ];
        row_id(&row, "refused", i);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, (int64_t)(today - rng_range(0, 60)) * 86400);
        sqlite3_bind_blob(st, 2, row.b, CS_ID_LEN, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, cs_date_format(today - rng_range(0, 30), date), -1,
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, units[cells[rng_below(ncells)]].code, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            die("refusals", CS_ESQLITE);
    }
    sqlite3_finalize(st);
    exec_sql(db, "COMMIT");
}

/*
 * Open conflicts: a cell's device edited a candidate's phone number without
 * having seen the hub's value (prev 0), as two people typing at once would.
 * Merged like a sync: the later stamp wins, the other value stays open.
 */
static void
make_conflicts(int n, int ncand)
{
    struct cs_changeset *cs;
    struct cs_changeset_header hd = {.version = CS_CHANGESET_FORMAT, .schema = CS_SCHEMA_VERSION};
    int ret;

    if (n == 0)
        return;
    row_id(&hd.origin, "device", 0);
    if ((ret = cs_changeset_new(&cs, &hd)) != 0)
        die("conflicts", ret);
    uint64_t stamp = cs_replica_now(rep);
    for (int i = 0; i < n && ncand > 0; i++) {
        struct cs_change c = {.table = "candidate", .column = "phone", .cl = 1};
        char phone[16];
        row_id(&c.row, "candidate", rng_below(ncand));
        snprintf(phone, sizeof(phone), "08%08d", rng_below(100000000));
        c.value = (struct cs_value){.type = CS_VTEXT, .p = phone, .n = strlen(phone)};
        c.hlc = stamp + (uint64_t)i + 1;
        c.origin = hd.origin;
        if ((ret = cs_changeset_add(cs, &c)) != 0)
            die("conflicts", ret);
    }
    cs_changeset_set_seq(cs, 1, (uint64_t)n);
    if ((ret = cs_replica_apply(rep, cs, NULL, NULL, err, sizeof(err))) != 0)
        die("conflicts", ret);
    cs_changeset_free(cs);
}

/* ---- main ---- */

static void
usage(FILE *f)
{
    fprintf(f, "usage: gen_district --state DIR --seed N [--grassroots 60] [--cells 250]\n"
               "                    [--members 5000] [--candidates 600] [--today YYYY-MM-DD]\n"
               "                    [--year YEAR]\n");
}

static int
count_arg(const char *opt, const char *v, int lo, int hi)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != 0 || n < lo || n > hi) {
        fprintf(stderr, "gen_district: %s: '%s' is not a number from %d to %d\n", opt, v, lo, hi);
        exit(2);
    }
    return (int)n;
}

int
main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"grassroots", required_argument, NULL, 'g'},
        {"cells", required_argument, NULL, 'c'},
        {"members", required_argument, NULL, 'm'},
        {"candidates", required_argument, NULL, 'k'},
        {"today", required_argument, NULL, 't'},
        {"year", required_argument, NULL, 'y'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *state = NULL, *today_arg = NULL, *seed_arg = NULL;
    int ngrass = 60, ncell = 250, nmemb = 5000, ncand = 600, year = 0, ch, ret;
    int32_t today;

    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 's':
            state = optarg;
            break;
        case 'S':
            seed_arg = optarg;
            break;
        case 'g':
            ngrass = count_arg("--grassroots", optarg, 1, 99);
            break;
        case 'c':
            ncell = count_arg("--cells", optarg, 1, 9999);
            break;
        case 'm':
            nmemb = count_arg("--members", optarg, 0, 10000000);
            break;
        case 'k':
            ncand = count_arg("--candidates", optarg, 0, 1000000);
            break;
        case 't':
            today_arg = optarg;
            break;
        case 'y':
            year = count_arg("--year", optarg, 2000, 2200);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (state == NULL || seed_arg == NULL || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (ncell < ngrass) {
        fprintf(stderr, "gen_district: every grassroots organisation needs a cell:"
                        " --cells must be at least --grassroots\n");
        return 2;
    }
    char *end;
    errno = 0;
    seed = strtoull(seed_arg, &end, 10);
    if (errno != 0 || end == seed_arg || *end != 0) {
        fprintf(stderr, "gen_district: --seed: '%s' is not a number\n", seed_arg);
        return 2;
    }
    rng_state = seed;
    if (cs_init() != 0)
        die("start", CS_ECRYPTO);
    if ((ret = today_arg ? cs_date_parse(today_arg, &today, err, sizeof(err))
                         : cs_date_today(&today, err, sizeof(err))) != 0)
        die("today", ret);
    if (year == 0)
        year = cs_date_to_civil(today).y;

    char csv[PATH_MAX];
    snprintf(csv, sizeof(csv), "%s.org-tree.csv", state);
    make_tree(csv, ngrass, ncell);
    ret = hub_init(state, csv, err, sizeof(err));
    unlink(csv);
    if (ret != 0)
        die("init", ret);

    struct hub *h;
    if ((ret = hub_open(&h, state, err, sizeof(err))) != 0)
        die("open", ret);
    rep = hub_replica(h);
    make_members(nmemb, today, year);
    make_candidates(ncand, today);
    make_targets(year);
    make_devices(today);
    make_conflicts(ncand > 0 ? 8 : 0, ncand);
    char day[CS_DATE_BUFSZ];
    printf("gen_district: %s: %d units (%d grassroots, %d cells), %d members, %d candidates,"
           " year %d, today %s, %llu versions\n",
           state, nunits, ngrass, ncells, nmemb, ncand, year, cs_date_format(today, day),
           (unsigned long long)cs_replica_seq(rep));
    hub_close(h);
    free(units);
    free(cells);
    free(members);
    return 0;
}
