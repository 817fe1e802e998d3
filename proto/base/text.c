/* SPDX-License-Identifier: MIT */
/*
 * Text as it is stored: Unicode NFC. The same Vietnamese name can be typed
 * precomposed ("ỹ", one code point, what most keyboards send) or decomposed
 * ("y" and two combining marks, Unikey's "Unicode tổ hợp" or text pasted
 * from macOS); both look alike but compare, sort and export as different
 * bytes. The replica's local writes pass every text through here, so a
 * name is the same bytes on every device whatever keyboard typed it.
 */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cellsync/error.h"
#include "cellsync/util.h"

int
cs_utf8_nfc(const void *s, size_t n, char **out, size_t *outn)
{
    const unsigned char *p = s;
    size_t i = 0;

    *out = NULL;
    *outn = n;
    if (!cs_utf8_valid(s, n))
        return CS_EINVAL;
    /* ASCII is NFC already: most values (dates, codes, numbers) stop here. */
    while (i < n && p[i] < 0x80)
        i++;
    if (i == n)
        return 0;
    utf8proc_uint8_t *nfc = NULL;
    utf8proc_ssize_t m =
        utf8proc_map(p, (utf8proc_ssize_t)n, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (m < 0)
        return m == UTF8PROC_ERROR_NOMEM ? CS_ENOMEM : CS_EINVAL;
    if ((size_t)m == n && memcmp(nfc, p, n) == 0) {
        free(nfc);
        return 0;
    }
    *out = (char *)nfc;
    *outn = (size_t)m;
    return 0;
}
