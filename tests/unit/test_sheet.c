/* SPDX-License-Identifier: MIT */
/*
 * The spreadsheet reader (cellsync/sheet.h) and the headings of an import
 * (cellsync/import.h): CSV as offices save it (BOM, ';', quotes holding
 * separators, quotes and line breaks), UTF-16 text, xlsx parts written here
 * with minizip to reach what real files seldom show together (shared strings
 * with runs and phonetic readings, a first sheet that is not sheet1.xml,
 * dates in both date systems, missing cell references, skipped rows), and
 * every refusal: not UTF-8, a quote never closed, too many columns, an .xls,
 * a cut zip, a zip that is no workbook. The cli test reads files made by a
 * real spreadsheet library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <minizip/zip.h>
#include <string.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/import.h"
#include "cellsync/sheet.h"

static char err[2048];

static struct cs_sheet *
must_open(const void *data, size_t n)
{
    struct cs_sheet *s = NULL;
    err[0] = 0;
    int ret = cs_sheet_open_mem(data, n, "t", &s, err, sizeof(err));
    if (ret != 0)
        fail_msg("cs_sheet_open_mem: %d %s", ret, err);
    return s;
}

static int
must_fail(const void *data, size_t n, const char *want)
{
    struct cs_sheet *s = NULL;
    err[0] = 0;
    int ret = cs_sheet_open_mem(data, n, "t", &s, err, sizeof(err));
    if (ret >= 0)
        fail_msg("'%s' was read", want);
    assert_null(s);
    if (strstr(err, want) == NULL)
        fail_msg("'%s' lacks '%s'", err, want);
    return ret;
}

/* Row i's number, count of cells and cell j. */
static void
assert_cell(struct cs_sheet *s, size_t i, unsigned number, size_t j, const char *want)
{
    unsigned got;
    const char *const *cells;
    size_t n = cs_sheet_row(s, i, &got, &cells);
    assert_int_equal(got, number);
    assert_true(j < n);
    assert_string_equal(cells[j], want);
}

static size_t
ncells(struct cs_sheet *s, size_t i)
{
    unsigned got;
    const char *const *cells;
    return cs_sheet_row(s, i, &got, &cells);
}

static void
test_csv(void **state)
{
    (void)state;
    static const char bom_semicolon[] =
        "\xef\xbb\xbfSTT;H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan;Ghi "
        "ch\xc3\xba\r\n"
        "1; Nguy\xe1\xbb\x85n V\xc4\x83n An ;\"c\xc3\xb3 ; d\xe1"
        "\xba\xa5u, \"\"ngo\xe1\xba\xb7\x63\"\"\r\nhai d\xc3\xb2ng\"\r\n"
        "\r\n"
        ";;;;;;\r\n"
        "3;B;\r\n";
    struct cs_sheet *s = must_open(bom_semicolon, sizeof(bom_semicolon) - 1);
    assert_string_equal(cs_sheet_kind(s), "CSV (UTF-8, ';')");
    /* Blank rows are counted, as the spreadsheet numbers them, but not returned. */
    assert_int_equal(cs_sheet_nrows(s), 3);
    assert_cell(s, 0, 1, 0, "STT");
    assert_cell(s, 0, 1, 1, "H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan");
    assert_cell(s, 1, 2, 1, "Nguy\xe1\xbb\x85n V\xc4\x83n An");
    assert_cell(s, 1, 2, 2, "c\xc3\xb3 ; d\xe1\xba\xa5u, \"ngo\xe1\xba\xb7\x63\"\nhai d\xc3\xb2ng");
    assert_cell(s, 2, 5, 1, "B");
    assert_int_equal(ncells(s, 2), 2); /* the empty last cell is not a column */
    cs_sheet_free(s);

    /* Comma, no BOM, LF, no newline at the end; a quote inside a cell is a quote. */
    static const char comma[] = "name,birth-date\nA 5\" tall,1/2/2000";
    s = must_open(comma, sizeof(comma) - 1);
    assert_string_equal(cs_sheet_kind(s), "CSV (UTF-8, ',')");
    assert_cell(s, 1, 2, 0, "A 5\" tall");
    assert_cell(s, 1, 2, 1, "1/2/2000");
    cs_sheet_free(s);

    /* 64 columns of text is the limit; empty ones after it do not count. */
    char wide[1024] = "";
    for (int i = 0; i < CS_SHEET_MAX_COLS; i++)
        strcat(wide, "x,");
    strcat(wide, ",,,,\n");
    s = must_open(wide, strlen(wide));
    assert_int_equal(ncells(s, 0), CS_SHEET_MAX_COLS);
    cs_sheet_free(s);
    wide[strlen(wide) - 5] = 'y';
    assert_int_equal(must_fail(wide, strlen(wide), "column BM"), CS_ETOOBIG);

    must_fail("a;b\n\"never closed;x\n", 19, "row 2, column A");
    must_fail("name\nL\xea Th\xe1\n", 12, "line 2");
    must_fail("", 0, "empty");
    must_fail("\n\n;;\n", 5, "no rows");
    must_fail("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", 12, ".xls");
}

static void
test_utf16(void **state)
{
    (void)state;
    static const char text[] =
        "H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan\tNg\xc3\xa0y sinh\r\n"
        "\xc4\x90\xe1\xbb\x97 V\xc4\x83n \xc4\x90\xe1\xbb\xa9\x63\t2/9/1990\r\n";
    char out[512], *in = (char *)text, *o = out + 2;
    size_t inleft = sizeof(text) - 1, oleft = sizeof(out) - 2;
    for (int le = 0; le < 2; le++) {
        iconv_t cd = iconv_open(le ? "UTF-16LE" : "UTF-16BE", "UTF-8");
        assert_true(cd != (iconv_t)-1);
        in = (char *)text, o = out + 2, inleft = sizeof(text) - 1, oleft = sizeof(out) - 2;
        assert_true(iconv(cd, &in, &inleft, &o, &oleft) != (size_t)-1);
        iconv_close(cd);
        memcpy(out, le ? "\xff\xfe" : "\xfe\xff", 2);
        struct cs_sheet *s = must_open(out, (size_t)(o - out));
        assert_string_equal(cs_sheet_kind(s), "CSV (UTF-16, tab)");
        assert_cell(s, 1, 2, 0, "\xc4\x90\xe1\xbb\x97 V\xc4\x83n \xc4\x90\xe1\xbb\xa9\x63");
        assert_cell(s, 1, 2, 1, "2/9/1990");
        cs_sheet_free(s);
        /* Cut in the middle of a character. */
        must_fail(out, (size_t)(o - out) - 1, "cut short");
    }
}

/*
 * An xlsx archive of the given parts (name, text pairs, NULL-ended), each
 * stored with method (Z_DEFLATED or 0), written by minizip to a temporary
 * file and read back. OUT: malloc'd bytes.
 */
static void *
make_zip_method(const char *const *parts, int method, size_t *size)
{
    /* A scratch archive in $TMPDIR (or /tmp), removed once read back. */
    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/test_sheet.XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    zipFile zf = zipOpen64(path, APPEND_STATUS_CREATE);
    assert_non_null(zf);
    for (size_t i = 0; parts[i] != NULL; i += 2) {
        zip_fileinfo zi = {0};
        assert_int_equal(zipOpenNewFileInZip64(zf, parts[i], &zi, NULL, 0, NULL, 0, NULL, method,
                                               Z_DEFAULT_COMPRESSION, 0),
                         ZIP_OK);
        assert_int_equal(zipWriteInFileInZip(zf, parts[i + 1], (unsigned)strlen(parts[i + 1])),
                         ZIP_OK);
        assert_int_equal(zipCloseFileInZip(zf), ZIP_OK);
    }
    assert_int_equal(zipClose(zf, NULL), ZIP_OK);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    void *out = malloc((size_t)n);
    assert_non_null(out);
    assert_int_equal(fread(out, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    unlink(path);
    *size = (size_t)n;
    return out;
}

static void *
make_zip(const char *const *parts, size_t *size)
{
    return make_zip_method(parts, Z_DEFLATED, size);
}

/* The first place of k bytes in p[0 .. n), or NULL. */
static char *
find(char *p, size_t n, const char *k, size_t kn)
{
    for (size_t i = 0; i + kn <= n; i++)
        if (memcmp(p + i, k, kn) == 0)
            return p + i;
    return NULL;
}

#define MAIN "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
#define REL  "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""

static const char workbook[] =
    "<?xml version=\"1.0\"?><workbook " MAIN " " REL "><workbookPr/><sheets>"
    "<sheet name=\"Danh s\xc3\xa1\x63h\" sheetId=\"2\" r:id=\"rId7\"/>"
    "<sheet name=\"Kh\xc3\xa1\x63\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
static const char rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\" Type=\"x\"/>"
    "<Relationship Id=\"rId7\" Target=\"/xl/worksheets/danhsach.xml\" Type=\"x\"/>"
    "</Relationships>";
static const char styles[] = "<styleSheet " MAIN "><numFmts count=\"1\">"
                             "<numFmt numFmtId=\"170\" formatCode=\"[$-42A]dd/mm/yyyy;@\"/>"
                             "<numFmt numFmtId=\"171\" formatCode=\"&quot;d&quot;0.00\"/>"
                             "</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
                             "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>"
                             "<xf numFmtId=\"170\"/><xf numFmtId=\"171\"/></cellXfs></styleSheet>";
static const char strings[] =
    "<sst " MAIN "><si><t>H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan</t></si>"
    "<si><r><t>Nguy\xe1\xbb\x85n </t></r><r><rPr><b/></rPr><t>V\xc4\x83n</t></r>"
    "<rPh><t>PHONETIC</t></rPh><r><t xml:space=\"preserve\"> An</t></r></si>"
    "<si><t>Ng\xc3\xa0y sinh</t></si></sst>";
static const char sheet[] =
    "<worksheet " MAIN "><sheetData>"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c t=\"s\"><v>2</v></c>"
    "<c r=\"D1\" t=\"inlineStr\"><is><t>N</t></is></c></row>"
    "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>1</v></c><c r=\"B2\" s=\"1\"><v>32964</v></c>"
    "<c r=\"C2\" s=\"2\"><v>45000.75</v></c><c r=\"D2\" s=\"3\"><v>12</v></c></row>"
    "<row r=\"3\"/>"
    "<row r=\"4\"><c r=\"A4\" t=\"b\"><v>1</v></c><c r=\"B4\"><v>1.5E3</v></c>"
    "<c r=\"C4\" t=\"str\"><f>A1</f><v>x</v></c><c r=\"D4\" t=\"e\"><v>#N/A</v></c></row>"
    "</sheetData></worksheet>";

static void
test_xlsx(void **state)
{
    (void)state;
    const char *parts[] = {"[Content_Types].xml",
                           "<Types/>",
                           "xl/workbook.xml",
                           workbook,
                           "xl/_rels/workbook.xml.rels",
                           rels,
                           "xl/styles.xml",
                           styles,
                           "xl/sharedStrings.xml",
                           strings,
                           "xl/worksheets/sheet1.xml",
                           "<worksheet " MAIN "><sheetData><row r=\"1\"><c t=\"inlineStr\"><is>"
                           "<t>wrong sheet</t></is></c></row></sheetData></worksheet>",
                           "xl/worksheets/danhsach.xml",
                           sheet,
                           NULL};
    size_t size;
    char *zip = make_zip(parts, &size);
    struct cs_sheet *s = must_open(zip, size);
    assert_string_equal(cs_sheet_kind(s), "xlsx");
    assert_int_equal(cs_sheet_nrows(s), 3);
    assert_cell(s, 0, 1, 0, "H\xe1\xbb\x8d v\xc3\xa0 t\xc3\xaan");
    assert_cell(s, 0, 1, 1, "Ng\xc3\xa0y sinh"); /* no r: the column after the last */
    assert_cell(s, 0, 1, 2, "");
    assert_cell(s, 0, 1, 3, "N");
    assert_cell(s, 1, 2, 0, "Nguy\xe1\xbb\x85n V\xc4\x83n An"); /* runs, not the reading */
    assert_cell(s, 1, 2, 1, "1990-04-01");                      /* built-in date format 14 */
    assert_cell(s, 1, 2, 2, "2023-03-15");                      /* a date format, time dropped */
    assert_cell(s, 1, 2, 3, "12");                              /* "d" quoted: no date */
    assert_cell(s, 2, 4, 0, "TRUE");
    assert_cell(s, 2, 4, 1, "1500");
    assert_cell(s, 2, 4, 2, "x");
    assert_cell(s, 2, 4, 3, "#N/A");
    cs_sheet_free(s);

    /* Every cut of the archive is refused with a message, never read as something else. */
    for (size_t cut = 4; cut < size; cut += 7) {
        s = NULL;
        err[0] = 0;
        int ret = cs_sheet_open_mem(zip, cut, "t", &s, err, sizeof(err));
        if (ret >= 0)
            fail_msg("the first %zu bytes of %zu were read", cut, size);
        assert_true(err[0] != 0);
    }
    must_fail(zip, size / 2, "cut short");
    free(zip);

    /* The 1904 date system, and sheet1.xml when the workbook names no relationship. */
    const char *mac[] = {"xl/workbook.xml",
                         "<workbook " MAIN "><workbookPr date1904=\"1\"/></workbook>",
                         "xl/styles.xml",
                         styles,
                         "xl/worksheets/sheet1.xml",
                         "<worksheet " MAIN "><sheetData><row><c s=\"1\"><v>0</v></c>"
                         "<c s=\"1\"><v>31777</v></c></row></sheetData></worksheet>",
                         NULL};
    zip = make_zip(mac, &size);
    s = must_open(zip, size);
    assert_cell(s, 0, 1, 0, "0"); /* serial 0 is no date here: kept as the number */
    assert_cell(s, 0, 1, 1, "1991-01-01");
    cs_sheet_free(s);
    free(zip);

    /* A shared string that is not there; a document type; a zip that is no workbook. */
    const char *bad[] = {"xl/workbook.xml", "<workbook " MAIN "/>", "xl/worksheets/sheet1.xml",
                         "<worksheet " MAIN "><sheetData><row><c t=\"s\"><v>5</v></c></row>"
                         "</sheetData></worksheet>",
                         NULL};
    zip = make_zip(bad, &size);
    must_fail(zip, size, "damaged");
    free(zip);
    const char *doctype[] = {"xl/workbook.xml",
                             "<!DOCTYPE workbook [<!ENTITY a \"aaaa\">]><workbook>&a;</workbook>",
                             NULL};
    zip = make_zip(doctype, &size);
    must_fail(zip, size, "document type");
    free(zip);
    const char *ods[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         "content.xml", "<x/>", NULL};
    zip = make_zip(ods, &size);
    must_fail(zip, size, ".ods");
    free(zip);
    const char *docx[] = {"word/document.xml", "<x/>", NULL};
    zip = make_zip(docx, &size);
    must_fail(zip, size, "Word document");
    free(zip);
    /* An archive of nothing, its end record alone: refused (minizip finds no record at 0). */
    must_fail("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, "zip archive");

    /* Bytes changed inside a part: in deflated data, and in stored text under its checksum. */
    const char *one[] = {"xl/workbook.xml", "<workbook " MAIN "/>", "xl/worksheets/sheet1.xml",
                         sheet, NULL};
    zip = make_zip(one, &size);
    zip[30 + strlen(one[0]) + 2] ^= 0x55;
    must_fail(zip, size, "damaged");
    free(zip);
    zip = make_zip_method(one, 0, &size);
    char *w = find(zip, size, "<workbook", 9);
    assert_non_null(w);
    w[1] = 'W';
    must_fail(zip, size, "checksum");
    free(zip);
    /* A part whose directory entry claims more bytes than its data gives. */
    zip = make_zip_method(one, 0, &size);
    char *cd = find(zip, size, "PK\x01\x02", 4);
    assert_non_null(cd);
    cd[24]++; /* the uncompressed size, low byte */
    must_fail(zip, size, "damaged");
    free(zip);
}

static void
test_headings(void **state)
{
    (void)state;
    /* Without a catalog: English labels, option and column names, the row number left out. */
    const char *head[] = {"STT", "Full Name", "birth-date", "Sex", "", "citizen_id"};
    const struct cs_schema_column *map[6];
    assert_int_equal(cs_import_header("member", head, 6, map, err, sizeof(err)), 0);
    assert_null(map[0]);
    assert_string_equal(map[1]->name, "full_name");
    assert_string_equal(map[2]->name, "birth_date");
    assert_string_equal(map[3]->name, "sex");
    assert_null(map[4]);
    assert_string_equal(map[5]->name, "citizen_id");
    /* Without case, marks (NFD ones too), spaces or punctuation: "No." is the row number. */
    const char *folded[] = {"No.", "FULL-NAME:", "B\xcc\x89irth  Da\xcc\x81te", "ci-ti-zen id"};
    assert_int_equal(cs_import_header("member", folded, 4, map, err, sizeof(err)), 0);
    assert_null(map[0]);
    assert_string_equal(map[1]->name, "full_name");
    assert_string_equal(map[2]->name, "birth_date");
    assert_string_equal(map[3]->name, "citizen_id");

    /* A candidate's sheet takes the dates of its steps; a member's does not. */
    const char *steps[] = {"name", "Identified on", "helper assigned on", "cell_resolution_on"};
    assert_int_equal(cs_import_header("candidate", steps, 4, map, err, sizeof(err)), 0);
    assert_string_equal(map[3]->name, "cell_resolution_on");
    assert_int_equal(cs_import_header("member", steps, 4, map, err, sizeof(err)), CS_EINVAL);
    assert_non_null(strstr(err, "column B"));
    assert_non_null(strstr(err, "\"Identified on\""));
    assert_non_null(strstr(err, "birth-date"));

    const char *twice[] = {"name", "Full name"};
    assert_int_equal(cs_import_header("member", twice, 2, map, err, sizeof(err)), CS_EINVAL);
    assert_non_null(strstr(err, "columns A and B"));
    assert_int_equal(cs_import_header("meeting", twice, 2, map, err, sizeof(err)), CS_EINVAL);

    /* No two importable columns of a table share a folded heading. */
    const char *tables[] = {"member", "candidate"};
    for (size_t t = 0; t < 2; t++) {
        const struct cs_schema_column *cols[CS_IMPORT_MAX_COLUMNS];
        size_t n = cs_import_columns(tables[t], cols, CS_IMPORT_MAX_COLUMNS);
        assert_true(n > 10 && n < CS_IMPORT_MAX_COLUMNS);
        for (size_t i = 0; i < n; i++) {
            const char *one[] = {cols[i]->label};
            assert_int_equal(cs_import_header(tables[t], one, 1, map, err, sizeof(err)), 0);
            assert_ptr_equal(map[0], cols[i]);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_utf16),
        cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_headings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
