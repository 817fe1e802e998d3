/* SPDX-License-Identifier: MIT */
/*
 * Size of a USB-stick bundle for the reference month of one cell: 5 new
 * candidates of 12 fields, 20 single-field edits, one monthly meeting with
 * 3 KB of Vietnamese minutes, its attendance of 20 members and 5
 * assessments of candidates, each written as the client writes it (one
 * local transaction per command) into a temp replica. The bundle is made by
 * device_export(), the very code `cellsync bundle export` runs, and compared
 * with the zstd size of the same content as plain text (one line per
 * field: table, record id, field, value). Stamps and ephemeral keys are
 * fresh each run, so the last digits may move.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <sodium.h>

#include "cellsync/bundle.h"
#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "cellsync/version.h"
#include "common/sample.h"
#include "device.h"

static char err[1024];

static void
die(const char *what, int ret)
{
    fprintf(stderr, "bench_bundle_size: %s: %s\n", what, err[0] ? err : cs_strerror(ret));
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

/* The same content as a person would type it: one line per field. */
static char *
plain_text(struct cs_replica *r, size_t *len, size_t *changes)
{
    struct cs_changeset *cs = NULL;
    struct cs_since_filter own = {.only_origin = cs_replica_site(r)};
    check("changes", cs_replica_changes_since(r, 0, 0, &own, &cs, err, sizeof(err)));
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    if (buf == NULL)
        die("plain text", CS_ENOMEM);
    for (size_t i = 0; i < cs_changeset_count(cs); i++) {
        struct cs_change c;
        char row[CS_ID_HEX_LEN + 1], val[2 * CS_ID_LEN + 1];
        cs_changeset_get(cs, i, &c);
        cs_id_to_hex(&c.row, row);
        if (c.value.type == CS_VTEXT)
            n += (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%.*s\n", c.table, row, c.column,
                                  (int)c.value.n, (const char *)c.value.p);
        else if (c.value.type == CS_VINT)
            n += (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%lld\n", c.table, row, c.column,
                                  (long long)c.value.i);
        else {
            sodium_bin2hex(val, sizeof(val), c.value.p,
                           c.value.n < CS_ID_LEN ? c.value.n : CS_ID_LEN);
            n +=
                (size_t)snprintf(buf + n, cap - n, "%s\t%s\t%s\t%s\n", c.table, row, c.column, val);
        }
    }
    *changes = cs_changeset_count(cs);
    cs_changeset_free(cs);
    *len = n;
    return buf;
}

int
main(void)
{
    char tmp[] = "/tmp/bench_bundle.XXXXXX", db[PATH_MAX], bundle[PATH_MAX], side[PATH_MAX + 8];
    struct cs_key *key = NULL, *hub = NULL;
    struct cs_replica *r = NULL;
    struct device d = {0};
    struct device_tally t;
    struct cs_id site;
    char hex[CS_PK_LEN * 2 + 1];

    if (cs_init() != 0 || mkdtemp(tmp) == NULL)
        die("start", -1);
    snprintf(db, sizeof(db), "%s/replica.db", tmp);
    snprintf(bundle, sizeof(bundle), "%s/month.bundle", tmp);
    check("keys", cs_key_from_seed(&key, cs_test_cell_seed));
    check("keys", cs_key_from_seed(&hub, cs_test_hub_seed));
    cs_key_id(key, &site);
    check(db, cs_replica_open(&r, db, CS_REPLICA_CREATE, &site, err, sizeof(err)));
    /* Enrolled from a file, never synced: the hello carries the one-time secret. */
    sodium_bin2hex(hex, sizeof(hex), cs_key_pk(hub), CS_PK_LEN);
    check("meta", cs_replica_meta_set(r, "hub_pk", hex));
    check("meta", cs_replica_meta_set(r, "enroll_secret",
                                      "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
                                      "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"));
    check("meta", cs_replica_meta_set(r, "device_name", "máy chi bộ bản Khe Ván"));
    build_month(r);

    size_t tlen, changes;
    char *text = plain_text(r, &tlen, &changes);
    size_t zcap = ZSTD_compressBound(tlen);
    void *z = malloc(zcap);
    size_t zlen = z ? ZSTD_compress(z, zcap, text, tlen, 19) : 0;
    if (z == NULL || ZSTD_isError(zlen))
        die("zstd", CS_ECOMPRESS);

    d.rep = r;
    d.key = key;
    memcpy(d.hub_pk, cs_key_pk(hub), CS_PK_LEN);
    check("export", device_export(&d, bundle, NULL, &t, err, sizeof(err)));

    /* What the hub would find in it: entry sizes, read back through the bundle reader. */
    struct cs_bundle_reader *b = NULL;
    const uint8_t *env;
    size_t len, hello = 0, chunks = 0;
    uint32_t ix;
    int rc;
    check("read", cs_bundle_reader_new(&b, bundle, err, sizeof(err)));
    while ((rc = cs_bundle_reader_next(b, &env, &len, &ix, err, sizeof(err))) == 1)
        *(ix == 0 ? &hello : &chunks) += len + 4;
    check("read", rc);
    cs_bundle_reader_free(b);
    struct stat st;
    if (stat(bundle, &st) != 0)
        die(bundle, -1);

    printf("reference month of one cell (cellsync %s): 5 new candidates of 12 fields, 20 field\n"
           "edits, a meeting with %zu bytes of Vietnamese minutes, attendance of 20, 5 "
           "assessments\n",
           CS_VERSION_STRING, sizeof(minutes) - 1);
    printf("  changes                       %6zu\n", changes);
    printf(
        "  bundle file                   %6lld bytes  (header %d, hello %zu, %zu chunk(s) %zu)\n",
        (long long)st.st_size, CS_BUNDLE_HEADER, hello, t.chunks, chunks);
    printf("  plain text                    %6zu bytes\n", tlen);
    printf("  zstd -19 of the plain text    %6zu bytes\n", zlen);
    printf("  bundle / zstd(plain text)     %6.2f\n", (double)st.st_size / (double)zlen);

    free(z);
    free(text);
    d.key = NULL;
    cs_key_free(key);
    cs_key_free(hub);
    cs_replica_close(r);
    unlink(bundle);
    unlink(db);
    snprintf(side, sizeof(side), "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db);
    unlink(side);
    rmdir(tmp);
    return 0;
}
