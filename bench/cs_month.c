/* SPDX-License-Identifier: MIT */
/*
 * Writes a reference workload into the replica of $CELLSYNC_HOME, as the
 * client would (one local transaction per command), for the wire and
 * slow-link benchmarks (bench/bench_wire.sh):
 *
 *   cs_month month      the reference month of one cell (as in
 *                       bench_bundle_size.c: 5 new candidates of 12 fields,
 *                       20 field edits, a meeting with ~3 KB of Vietnamese
 *                       minutes, attendance of 20, 5 assessments); prints
 *                       "changes=N plain=BYTES zstd19=BYTES zstd3=BYTES", the
 *                       sizes of the same content as plain text
 *   cs_month members N  N members of the device's cell, 9 fields each, in
 *                       transactions of 10; prints "changes=N ..." likewise
 *
 * The ids of the month are fixed (cs_test_fill_id), so run it once per
 * fresh replica and hub.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include <sodium.h>

#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "common/sample.h"

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "cs_month: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
    exit(1);
}

static void
check(const char *what, int ret)
{
    if (ret != 0)
        die(what, ret);
}

static void
set_text(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
         const char *text)
{
    check(col, cs_replica_set_text(r, table, row, col, text, err, sizeof(err)));
}

static void
set_int(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
        int64_t v)
{
    struct cs_value val = {.type = CS_VINT, .i = v};
    check(col, cs_replica_set(r, table, row, col, &val, err, sizeof(err)));
}

static void
set_ref(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
        const struct cs_id *ref)
{
    struct cs_value val = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    check(col, cs_replica_set(r, table, row, col, &val, err, sizeof(err)));
}

static const char *const names[5] = {"Nguyễn Văn Sỹ", "Hà Thị Mai", "Lò Văn Thành",
                                     "Đinh Thị Hương", "Vàng A Páo"};
static const char *const hometowns[5] = {
    "Bản Khe Ván, xã Mường Lý, huyện Mường Lát, Thanh Hóa",
    "Bản Pù Quăn, xã Mường Lý, huyện Mường Lát, Thanh Hóa",
    "Thôn Sài Khao, xã Mường Lý, huyện Mường Lát, Thanh Hóa",
    "Bản Trung Tiến, xã Mường Lý, huyện Mường Lát, Thanh Hóa",
    "Bản Pa Búa, xã Mường Lý, huyện Mường Lát, Thanh Hóa",
};
static const char *const occupations[5] = {"giáo viên tiểu học", "nông dân", "dân quân tự vệ",
                                           "y tá trạm y tế xã", "công nhân lâm trường"};

/* About 3 KB of minutes, as a cell secretary writes them. */
static const char minutes[] =
    "Biên bản sinh hoạt chi bộ thường kỳ tháng 3 năm 2026. Thời gian: 8 giờ 00 ngày 02/03/2026, "
    "tại nhà văn hóa bản Khe Ván. Chủ trì: đồng chí Đinh Văn Thắng, bí thư chi bộ. Thư ký: đồng "
    "chí Hà Văn Dũng. Đảng viên của chi bộ: 23 đồng chí, có mặt 20 đồng chí, vắng 3 đồng chí có "
    "lý do (1 đồng chí đi làm ăn xa, 2 đồng chí ốm).\n"
    "I. Đánh giá tình hình tháng 2. Chi bộ đã lãnh đạo nhân dân trong bản hoàn thành gieo cấy "
    "lúa xuân đúng khung thời vụ, diện tích đạt 42 ha, vượt 5% kế hoạch. Công tác phòng chống "
    "cháy rừng được duy trì, tổ bảo vệ rừng tuần tra 8 lượt, không để xảy ra cháy. Tỷ lệ trẻ em "
    "đến trường đạt 100%. Còn 4 hộ chưa nộp quỹ phòng chống thiên tai, chi bộ giao đồng chí "
    "trưởng bản vận động trong tháng 3.\n"
    "II. Công tác phát triển đảng viên. Chi bộ đã xem xét 5 quần chúng ưu tú do chi đoàn thanh "
    "niên và tổ dân quân giới thiệu: các đồng chí Nguyễn Văn Sỹ, Hà Thị Mai, Lò Văn Thành, Đinh "
    "Thị Hương và Vàng A Páo. Chi bộ phân công đảng viên chính thức giúp đỡ từng quần chúng, "
    "giới thiệu các quần chúng đi học lớp nhận thức về Đảng do Trung tâm chính trị huyện mở "
    "trong tháng 4. Đồng chí Lò Văn Thành đã có giấy chứng nhận học lớp nhận thức về Đảng năm "
    "2025, chi bộ hướng dẫn đồng chí làm đơn xin vào Đảng và lý lịch người xin vào Đảng.\n"
    "III. Ý kiến thảo luận. Đồng chí Hà Văn Dũng đề nghị chi bộ quan tâm hơn đến quần chúng là "
    "người dân tộc Mông ở bản Pa Búa, vì đường xa, việc đi học lớp nhận thức gặp khó khăn. Đồng "
    "chí Lò Thị Hoa đề nghị phối hợp với đoàn thanh niên tổ chức buổi sinh hoạt chuyên đề về "
    "lịch sử Đảng cho thanh niên trong bản. Đồng chí bí thư tiếp thu và giao chi ủy xây dựng kế "
    "hoạch cụ thể.\n"
    "IV. Nhiệm vụ tháng 3. Một là, chỉ đạo chăm sóc lúa xuân, phòng trừ sâu bệnh. Hai là, tiếp "
    "tục tuần tra bảo vệ rừng, nhất là các khu rừng giáp ranh. Ba là, hoàn thiện hồ sơ đề nghị "
    "kết nạp đảng viên cho đồng chí Lò Văn Thành, trình Đảng ủy xã trước ngày 30/3. Bốn là, "
    "đôn đốc đảng viên đóng đảng phí đầy đủ, đúng hạn.\n"
    "V. Công tác kiểm tra, giám sát. Chi ủy đã kiểm tra việc thực hiện nhiệm vụ của 2 đảng "
    "viên được phân công giúp đỡ hộ nghèo; cả hai đồng chí đều hoàn thành tốt. Chi bộ nhắc nhở "
    "đồng chí Vi Văn Hùng chưa tham gia đầy đủ buổi tuần tra rừng tháng 2.\n"
    "Nghị quyết được 20/20 đồng chí có mặt biểu quyết tán thành. Buổi sinh hoạt kết thúc lúc "
    "10 giờ 30 cùng ngày.\n";

static void
build_month(struct cs_replica *r)
{
    struct cs_id cand[5], member[20], meeting;
    char date[16], cid[16], phone[16];

    for (unsigned i = 0; i < 20; i++)
        cs_test_fill_id(&member[i], 100 + i); /* the cell's members, there before the month */
    for (unsigned i = 0; i < 5; i++) {
        cs_test_fill_id(&cand[i], 200 + i);
        snprintf(date, sizeof(date), "%04u-%02u-%02u", 1998 + i, 1 + 2 * i, 3 + 5 * i);
        snprintf(cid, sizeof(cid), "0382%08u", 10293847u + 7919u * i);
        snprintf(phone, sizeof(phone), "09%08u", 12345678u + 1111111u * i);
        check("begin", cs_replica_begin(r, err, sizeof(err)));
        set_text(r, "candidate", &cand[i], "full_name", names[i]);
        set_text(r, "candidate", &cand[i], "sex", i % 2 ? "female" : "male");
        set_text(r, "candidate", &cand[i], "birth_date", date);
        set_text(r, "candidate", &cand[i], "ethnicity", i == 4 ? "Mông" : "Thái");
        set_text(r, "candidate", &cand[i], "religion", "không");
        set_text(r, "candidate", &cand[i], "hometown", hometowns[i]);
        set_text(r, "candidate", &cand[i], "citizen_id", cid);
        set_text(r, "candidate", &cand[i], "phone", phone);
        set_text(r, "candidate", &cand[i], "education", "12/12");
        set_text(r, "candidate", &cand[i], "occupation", occupations[i]);
        set_text(r, "candidate", &cand[i], "org_unit", "CB-01");
        set_text(r, "candidate", &cand[i], "stage", "identified");
        check("commit", cs_replica_commit(r, err, sizeof(err)));
    }
    /* 20 edits, one field each, as `cellsync candidate edit|advance` makes them. */
    for (unsigned e = 0; e < 20; e++) {
        const struct cs_id *c = &cand[e % 5];
        check("begin", cs_replica_begin(r, err, sizeof(err)));
        switch (e / 5) {
        case 0:
            set_ref(r, "candidate", c, "helper", &member[e]);
            break;
        case 1:
            snprintf(date, sizeof(date), "2026-03-%02u", 2 + e);
            set_text(r, "candidate", c, "identified_on", date);
            break;
        case 2:
            set_text(r, "candidate", c, "source", e % 2 ? "youth_union" : "militia");
            break;
        default:
            snprintf(phone, sizeof(phone), "08%08u", 55500000u + 37u * e);
            set_text(r, "candidate", c, "phone", phone);
        }
        check("commit", cs_replica_commit(r, err, sizeof(err)));
    }
    cs_test_fill_id(&meeting, 300);
    check("begin", cs_replica_begin(r, err, sizeof(err)));
    set_text(r, "meeting", &meeting, "org_unit", "CB-01");
    set_text(r, "meeting", &meeting, "held_on", "2026-03-02");
    set_text(r, "meeting", &meeting, "kind", "regular");
    set_text(r, "meeting", &meeting, "agenda",
             "Đánh giá tháng 2; phát triển đảng viên; nhiệm vụ tháng 3");
    set_text(r, "meeting", &meeting, "minutes", minutes);
    set_text(r, "meeting", &meeting, "resolutions",
             "Hoàn thiện hồ sơ kết nạp đồng chí Lò Văn Thành trước ngày 30/3/2026");
    check("commit", cs_replica_commit(r, err, sizeof(err)));
    check("begin", cs_replica_begin(r, err, sizeof(err)));
    for (unsigned i = 0; i < 20; i++) {
        struct cs_id a;
        cs_test_fill_id(&a, 400 + i);
        set_ref(r, "attendance", &a, "meeting", &meeting);
        set_ref(r, "attendance", &a, "member", &member[i]);
        set_int(r, "attendance", &a, "present", i < 17);
        if (i >= 17)
            set_text(r, "attendance", &a, "reason", i == 17 ? "đi làm ăn xa" : "ốm");
    }
    check("commit", cs_replica_commit(r, err, sizeof(err)));
    for (unsigned i = 0; i < 5; i++) {
        struct cs_id a;
        cs_test_fill_id(&a, 500 + i);
        check("begin", cs_replica_begin(r, err, sizeof(err)));
        set_ref(r, "assessment", &a, "meeting", &meeting);
        set_ref(r, "assessment", &a, "candidate", &cand[i]);
        set_text(r, "assessment", &a, "strengths",
                 "Nhiệt tình trong công tác đoàn, gương mẫu chấp hành chủ trương của Đảng, "
                 "chính sách pháp luật của Nhà nước, được quần chúng tín nhiệm");
        set_text(r, "assessment", &a, "weaknesses",
                 i % 2 ? "Còn rụt rè khi phát biểu ý kiến trong các buổi họp"
                       : "Hiểu biết về Điều lệ Đảng còn hạn chế");
        set_text(r, "assessment", &a, "next_steps",
                 "Tiếp tục rèn luyện, đăng ký học lớp nhận thức về Đảng trong tháng 4");
        check("commit", cs_replica_commit(r, err, sizeof(err)));
    }
}

static const char *const fam[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
static const char *const giv[] = {"Văn Sỹ",   "Thị Hoa",    "Văn Thắng", "Thị Ánh",
                                  "Văn Dũng", "Thị Phượng", "Đức Mạnh",  "Thị Hường"};

/* Members as a cell's device records them (not decision_on: the district sets it). */
static void
build_members(struct cs_replica *r, const char *org, long n)
{
    for (long i = 0; i < n; i += 10) {
        check("begin", cs_replica_begin(r, err, sizeof(err)));
        for (long k = i; k < n && k < i + 10; k++) {
            struct cs_id id;
            char name[128], date[32], card[32];
            cs_test_fill_id(&id, 10000 + (unsigned)k);
            snprintf(name, sizeof(name), "%s %s %ld", fam[k % 8], giv[(k / 8) % 8], k);
            set_text(r, "member", &id, "full_name", name);
            set_text(r, "member", &id, "sex", k % 2 ? "female" : "male");
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1950 + k % 50, 1 + k % 12,
                     1 + k % 28);
            set_text(r, "member", &id, "birth_date", date);
            set_text(r, "member", &id, "ethnicity", k % 3 ? "Thái" : "Kinh");
            snprintf(card, sizeof(card), "%08ld", 38000000 + k);
            set_text(r, "member", &id, "card_no", card);
            set_text(r, "member", &id, "org_unit", org);
            set_text(r, "member", &id, "status", "official");
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1975 + k % 45, 1 + k % 12,
                     1 + k % 28);
            set_text(r, "member", &id, "ceremony_on", date);
            snprintf(date, sizeof(date), "%04ld-%02ld-%02ld", 1976 + k % 45, 1 + k % 12,
                     1 + k % 28);
            set_text(r, "member", &id, "official_on", date);
        }
        check("commit", cs_replica_commit(r, err, sizeof(err)));
    }
}

int
main(int argc, char **argv)
{
    const char *home = getenv("CELLSYNC_HOME");
    char path[PATH_MAX], org[64] = "";
    struct cs_replica *r;
    long n = 0;

    if (argc == 3 && strcmp(argv[1], "members") == 0)
        n = atol(argv[2]);
    if (!((argc == 2 && strcmp(argv[1], "month") == 0) || n > 0)) {
        fprintf(stderr, "usage: cs_month month | members N\n");
        return 2;
    }
    if (home == NULL || home[0] == 0 || cs_init() != 0) {
        fprintf(stderr, "cs_month: CELLSYNC_HOME is not set\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/replica.db", home);
    check(path, cs_replica_open(&r, path, 0, NULL, err, sizeof(err)));
    if (cs_replica_meta_get(r, "org", org, sizeof(org)) != 0 || org[0] == 0)
        snprintf(org, sizeof(org), "CB-01");
    uint64_t before = cs_replica_seq(r);
    if (n > 0)
        build_members(r, org, n);
    else
        build_month(r);

    /* Plain text of what was just written (this device's versions after before). */
    struct cs_changeset *cs = NULL;
    struct cs_since_filter own = {.only_origin = cs_replica_site(r)};
    check("changes", cs_replica_changes_since(r, before, 0, &own, &cs, err, sizeof(err)));
    size_t cap = 4u << 20, len = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        die("memory", CS_ENOMEM);
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        char row[CS_ID_HEX_LEN + 1], val[2 * CS_ID_LEN + 1];
        cs_changeset_get(cs, i, &c);
        cs_id_to_hex(&c.row, row);
        if (c.value.type == CS_VTEXT)
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%.*s\n", c.table, row,
                                    c.column, (int)c.value.n, (const char *)c.value.p);
        else if (c.value.type == CS_VINT)
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%lld\n", c.table, row,
                                    c.column, (long long)c.value.i);
        else {
            sodium_bin2hex(val, sizeof(val), c.value.p,
                           c.value.n < CS_ID_LEN ? c.value.n : CS_ID_LEN);
            len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%s\t%s\n", c.table, row,
                                    c.column, val);
        }
    }
    size_t zcap = ZSTD_compressBound(len);
    void *z = malloc(zcap);
    if (z == NULL)
        die("memory", CS_ENOMEM);
    size_t z19 = ZSTD_compress(z, zcap, buf, len, 19);
    size_t z3 = ZSTD_compress(z, zcap, buf, len, 3);
    if (ZSTD_isError(z19) || ZSTD_isError(z3))
        die("zstd", CS_ECOMPRESS);
    printf("changes=%zu plain=%zu zstd19=%zu zstd3=%zu\n", cs_changeset_count(cs), len, z19, z3);
    free(z);
    free(buf);
    cs_changeset_free(cs);
    cs_replica_close(r);
    return 0;
}
