/* SPDX-License-Identifier: MIT */
/*
 * The reference month of one cell, written into a replica as the client
 * would (one local transaction per command): 5 new candidates of 12
 * fields, 20 field edits, a meeting with ~3 KB of Vietnamese minutes,
 * attendance of 20, 5 assessments. Shared by bench_bundle_size and
 * cs_month (the wire benchmarks), so both measure the same month.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/replica.h"
#include "common/sample.h"
#include "month.h"

char bench_err[1024];

void
bench_die(const char *what, int ret)
{
    fprintf(stderr, "bench: %s: %s\n", what, bench_err[0] ? bench_err : cs_strerror(ret));
    exit(1);
}

void
bench_check(const char *what, int ret)
{
    if (ret != 0)
        bench_die(what, ret);
}

void
bench_set_text(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
               const char *text)
{
    bench_check(col, cs_replica_set_text(r, table, row, col, text, bench_err, sizeof(bench_err)));
}

static void
set_int(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
        int64_t v)
{
    struct cs_value val = {.type = CS_VINT, .i = v};
    bench_check(col, cs_replica_set(r, table, row, col, &val, bench_err, sizeof(bench_err)));
}

static void
set_ref(struct cs_replica *r, const char *table, const struct cs_id *row, const char *col,
        const struct cs_id *ref)
{
    struct cs_value val = {.type = CS_VBLOB, .p = ref->b, .n = CS_ID_LEN};
    bench_check(col, cs_replica_set(r, table, row, col, &val, bench_err, sizeof(bench_err)));
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
const char bench_minutes[] =
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

void
bench_month(struct cs_replica *r)
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
        bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
        bench_set_text(r, "candidate", &cand[i], "full_name", names[i]);
        bench_set_text(r, "candidate", &cand[i], "sex", i % 2 ? "female" : "male");
        bench_set_text(r, "candidate", &cand[i], "birth_date", date);
        bench_set_text(r, "candidate", &cand[i], "ethnicity", i == 4 ? "Mông" : "Thái");
        bench_set_text(r, "candidate", &cand[i], "religion", "không");
        bench_set_text(r, "candidate", &cand[i], "hometown", hometowns[i]);
        bench_set_text(r, "candidate", &cand[i], "citizen_id", cid);
        bench_set_text(r, "candidate", &cand[i], "phone", phone);
        bench_set_text(r, "candidate", &cand[i], "education", "12/12");
        bench_set_text(r, "candidate", &cand[i], "occupation", occupations[i]);
        bench_set_text(r, "candidate", &cand[i], "org_unit", "CB-01");
        bench_set_text(r, "candidate", &cand[i], "stage", "identified");
        bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    }
    /* 20 edits, one field each, as `cellsync candidate edit|advance` makes them. */
    for (unsigned e = 0; e < 20; e++) {
        const struct cs_id *c = &cand[e % 5];
        bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
        switch (e / 5) {
        case 0:
            set_ref(r, "candidate", c, "helper", &member[e]);
            break;
        case 1:
            snprintf(date, sizeof(date), "2026-03-%02u", 2 + e);
            bench_set_text(r, "candidate", c, "identified_on", date);
            break;
        case 2:
            bench_set_text(r, "candidate", c, "source", e % 2 ? "youth_union" : "militia");
            break;
        default:
            snprintf(phone, sizeof(phone), "08%08u", 55500000u + 37u * e);
            bench_set_text(r, "candidate", c, "phone", phone);
        }
        bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    }
    cs_test_fill_id(&meeting, 300);
    bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
    bench_set_text(r, "meeting", &meeting, "org_unit", "CB-01");
    bench_set_text(r, "meeting", &meeting, "held_on", "2026-03-02");
    bench_set_text(r, "meeting", &meeting, "kind", "regular");
    bench_set_text(r, "meeting", &meeting, "agenda",
                   "Đánh giá tháng 2; phát triển đảng viên; nhiệm vụ tháng 3");
    bench_set_text(r, "meeting", &meeting, "minutes", bench_minutes);
    bench_set_text(r, "meeting", &meeting, "resolutions",
                   "Hoàn thiện hồ sơ kết nạp đồng chí Lò Văn Thành trước ngày 30/3/2026");
    bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
    for (unsigned i = 0; i < 20; i++) {
        struct cs_id a;
        cs_test_fill_id(&a, 400 + i);
        set_ref(r, "attendance", &a, "meeting", &meeting);
        set_ref(r, "attendance", &a, "member", &member[i]);
        set_int(r, "attendance", &a, "present", i < 17);
        if (i >= 17)
            bench_set_text(r, "attendance", &a, "reason", i == 17 ? "đi làm ăn xa" : "ốm");
    }
    bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    for (unsigned i = 0; i < 5; i++) {
        struct cs_id a;
        cs_test_fill_id(&a, 500 + i);
        bench_check("begin", cs_replica_begin(r, bench_err, sizeof(bench_err)));
        set_ref(r, "assessment", &a, "meeting", &meeting);
        set_ref(r, "assessment", &a, "candidate", &cand[i]);
        bench_set_text(r, "assessment", &a, "strengths",
                       "Nhiệt tình trong công tác đoàn, gương mẫu chấp hành chủ trương của Đảng, "
                       "chính sách pháp luật của Nhà nước, được quần chúng tín nhiệm");
        bench_set_text(r, "assessment", &a, "weaknesses",
                       i % 2 ? "Còn rụt rè khi phát biểu ý kiến trong các buổi họp"
                             : "Hiểu biết về Điều lệ Đảng còn hạn chế");
        bench_set_text(r, "assessment", &a, "next_steps",
                       "Tiếp tục rèn luyện, đăng ký học lớp nhận thức về Đảng trong tháng 4");
        bench_check("commit", cs_replica_commit(r, bench_err, sizeof(bench_err)));
    }
}
