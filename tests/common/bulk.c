/* SPDX-License-Identifier: MIT */
/*
 * Candidate number i, the same on every run and in every writer that uses it
 * (bulk.h): the benchmarks' figures and the network tests' loads come from
 * the same bytes.
 */
#include <stdio.h>

#include "bulk.h"
#include "cellsync/id.h"

static const char *const family[] = {"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Lò", "Đinh", "Hà"};
static const char *const given[] = {"Văn Sỹ",   "Thị Hoa",    "Văn Thắng", "Thị Ánh",
                                    "Văn Dũng", "Thị Phượng", "Đức Mạnh",  "Thị Hường"};
static const char *const place[] = {"Bản Khe Ván, xã Mường Lý, huyện Mường Lát, tỉnh Thanh Hóa",
                                    "Bản Pù Quăn, xóm 2, xã Mường Lý, huyện Mường Lát",
                                    "Thôn Đông, xã Quảng Phú, huyện Quảng Xương",
                                    "Tổ dân phố 5, phường Điện Biên, thành phố Thanh Hóa"};

int
cs_test_candidate(struct cs_replica *r, const char *org, long i, char *err, size_t errlen)
{
    struct cs_id id;
    char name[128], phone[32], note[256];

    cs_id_new(&id);
    snprintf(name, sizeof(name), "%s %s %ld", family[i % 8], given[(i / 8) % 8], i);
    snprintf(phone, sizeof(phone), "09%08ld", i);
    snprintf(note, sizeof(note),
             "Quần chúng ưu tú số %ld, đoàn viên tích cực, được chi bộ phân công giúp đỡ", i);
    const char *const col[CS_TEST_CANDIDATE_REGS] = {"full_name", "stage", "identified_on", "phone",
                                                     "hometown",  "note",  "org_unit"};
    const char *const val[CS_TEST_CANDIDATE_REGS] = {
        name, "identified", "2026-03-02", phone, place[i % 4], note, org};
    for (int c = 0; c < CS_TEST_CANDIDATE_REGS; c++) {
        int ret = cs_replica_set_text(r, "candidate", &id, col[c], val[c], err, errlen);
        if (ret != 0)
            return ret;
    }
    return 0;
}
