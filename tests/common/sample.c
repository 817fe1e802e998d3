/* SPDX-License-Identifier: MIT */
/*
 * The reference change set shared by the test vectors and the size benchmark:
 * 100 register writes of one cell, as a secretary makes them (8 new candidates
 * with 12 identity fields each in Vietnamese, then 4 stage edits). Fully
 * deterministic: fixed ids, fixed clock, no randomness.
 */
#include <stdio.h>
#include <string.h>

#include "common/sample.h"

const uint8_t cs_test_cell_seed[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
const uint8_t cs_test_hub_seed[32] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                      2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
const uint8_t cs_test_eph_seed[32] = {3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
                                      3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3};

static const char *const names[] = {
    "Nguyễn Thị Hồng Nhung", "Lò Văn Sỹ",  "Hoàng Thị Mai",   "Vàng A Páo",    "Đinh Văn Thắng",
    "Triệu Thị Lan",         "Sùng A Chứ", "Phạm Quốc Khánh", "Lường Thị Hoa", "Hà Văn Dũng",
};
static const char *const hometowns[] = {
    "Xã Mường Lý, huyện Mường Lát, tỉnh Thanh Hóa",
    "Xã Phú Lương, tỉnh Thái Nguyên",
    "Đặc khu Cô Tô, tỉnh Quảng Ninh",
    "Xã Tả Van, thị xã Sa Pa, tỉnh Lào Cai",
    "Xã Tam Hải, huyện Núi Thành, tỉnh Quảng Nam",
};
static const char *const ethnicities[] = {"Kinh", "Thái", "Tày", "Mông", "Dao", "Mường"};
static const char *const sources[] = {"youth_union", "militia", "teacher", "farmer",
                                      "demobilised_soldier"};
static const char *const notes[] = {
    "Đoàn viên tích cực, tham gia tốt phong trào thanh niên tình nguyện",
    "Hoàn thành tốt nhiệm vụ dân quân, được nhân dân tín nhiệm",
    "Giáo viên dạy giỏi cấp huyện, nhiệt tình với học sinh vùng cao",
    "Gương mẫu trong phát triển kinh tế hộ gia đình, giúp đỡ bà con",
};

void
cs_test_fill_id(struct cs_id *id, unsigned n)
{
    memset(id->b, 0, sizeof(id->b));
    /* A fixed UUIDv7-shaped id: 2026-01-01 plus n ms. */
    uint64_t ms = 1767225600000ull + n;
    for (int i = 0; i < 6; i++)
        id->b[i] = (uint8_t)(ms >> (40 - 8 * i));
    id->b[6] = 0x70 | (n & 0x0f);
    id->b[8] = 0x80 | (n & 0x3f);
    id->b[15] = (uint8_t)(n * 37);
}

static int
add_text(struct cs_changeset *cs, struct cs_change *c, const char *col, const char *v)
{
    c->column = col;
    c->value.type = CS_VTEXT;
    c->value.p = v;
    c->value.n = strlen(v);
    return cs_changeset_add(cs, c);
}

int
cs_test_sample(struct cs_changeset **out, const struct cs_id *origin)
{
    struct cs_changeset_header h = {0};
    h.origin = *origin;
    h.seq_first = 1;
    h.seq_last = 100;
    h.schema = 1;
    int ret = cs_changeset_new(out, &h);
    if (ret != 0)
        return ret;
    uint64_t hlc = (1767225600000ull << 16);
    char date[16], cid[16], phone[16];
    for (unsigned k = 0; k < 8 && ret == 0; k++) {
        struct cs_change c = {0};
        c.table = "candidate";
        cs_test_fill_id(&c.row, 100 + k);
        c.origin = *origin;
        c.cl = 1;
        c.hlc = (hlc += 3600000ull << 16);
        snprintf(date, sizeof(date), "%04u-%02u-%02u", 1990 + k, 1 + k, 3 + 2 * k);
        snprintf(cid, sizeof(cid), "0%02u1%02u00%04u", 19 + k, 90 + k, 4512 + 97 * k);
        snprintf(phone, sizeof(phone), "09%08u", 12345678 + 1111 * k);
        ret = add_text(*out, &c, "full_name", names[k]);
        ret = ret ? ret : add_text(*out, &c, "sex", k % 2 ? "male" : "female");
        ret = ret ? ret : add_text(*out, &c, "birth_date", date);
        ret = ret ? ret : add_text(*out, &c, "ethnicity", ethnicities[k % 6]);
        ret = ret ? ret : add_text(*out, &c, "religion", "none");
        ret = ret ? ret : add_text(*out, &c, "hometown", hometowns[k % 5]);
        ret = ret ? ret : add_text(*out, &c, "citizen_id", cid);
        ret = ret ? ret : add_text(*out, &c, "phone", phone);
        ret = ret ? ret : add_text(*out, &c, "source", sources[k % 5]);
        ret = ret ? ret : add_text(*out, &c, "stage", "identified");
        ret = ret ? ret : add_text(*out, &c, "note", notes[k % 4]);
        ret = ret ? ret : add_text(*out, &c, "org_unit", k < 4 ? "CB-05" : "CB-07");
    }
    for (unsigned k = 0; k < 4 && ret == 0; k++) {
        struct cs_change c = {0};
        c.table = "candidate";
        cs_test_fill_id(&c.row, 100 + k);
        c.origin = *origin;
        c.cl = 1;
        c.prev_hlc = (1767225600000ull << 16) + ((uint64_t)(k + 1) * (3600000ull << 16));
        c.prev_origin = *origin;
        c.hlc = (hlc += 86400000ull << 16);
        ret = add_text(*out, &c, "stage", "helper_assigned");
    }
    if (ret != 0) {
        cs_changeset_free(*out);
        *out = NULL;
    }
    return ret;
}
