/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the spreadsheet reader of `cellsync import`
 * (cellsync/sheet.h): whatever the bytes, CSV or UTF-16 text or an xlsx
 * archive, it must give rows within the limits or refuse with a message,
 * and free everything either way. The seeds are a CSV with a BOM and ';',
 * UTF-16 text and an xlsx workbook whose parts are stored uncompressed, so
 * that mutations reach the XML. Inputs over 64 KiB are skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cellsync/error.h"
#include "cellsync/sheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_sheet *s = NULL;
    char err[512] = "";

    if (size > 65536)
        return 0;
    int ret = cs_sheet_open_mem(data, size, "fuzz", &s, err, sizeof(err));
    if (ret == CS_ENOMEM)
        return 0;
    if (ret != 0) {
        if (s != NULL || err[0] == 0)
            abort();
        return 0;
    }
    size_t n = cs_sheet_nrows(s);
    if (n == 0 || n > CS_SHEET_MAX_ROWS)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned number;
        const char *const *cells;
        size_t nc = cs_sheet_row(s, i, &number, &cells);
        if (nc == 0 || nc > CS_SHEET_MAX_COLS || number == 0)
            abort();
        for (size_t j = 0; j < nc; j++)
            if (strlen(cells[j]) > CS_SHEET_MAX_CELL)
                abort();
    }
    cs_sheet_free(s);
    return 0;
}
