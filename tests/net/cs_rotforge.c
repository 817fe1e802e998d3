/* SPDX-License-Identifier: MIT */
/*
 * cs_rotforge FILE: the forger of test_rotate.sh. Rewrites the last
 * statement of a hub.rotations file so that it says the same (old key ->
 * new key, same time) but is signed by a fresh key that no device pins:
 * what a thief who holds neither hub key could offer. The file keeps its
 * shape (the hub checks only that its statements follow one another), so a
 * hub serving it hands the forged chain to every device that pins the old
 * key, and each must refuse it. Exit 0 when written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cellsync/error.h"
#include "cellsync/version.h"
#include "cellsync/key.h"
#include "cellsync/rotation.h"

int
main(int argc, char **argv)
{
    struct cs_rotation *all = NULL, forged;
    struct cs_key *x = NULL;
    size_t n = 0;
    char err[512] = "";

    if (argc != 2) {
        fprintf(stderr, "usage: cs_rotforge HUB.ROTATIONS\n");
        return 2;
    }
    if (cs_init() != 0)
        return 1;
    if (cs_rotation_load(argv[1], &all, &n, err, sizeof(err)) != 0 || n == 0) {
        fprintf(stderr, "cs_rotforge: %s\n", err[0] ? err : "no statement");
        return 1;
    }
    if (cs_key_generate(&x) != 0 ||
        cs_rotation_make(x, all[n - 1].new_pk, all[n - 1].time, &forged) != 0)
        return 1;
    /* The claim stays; the signature is another key's. */
    for (size_t i = 0; i < sizeof(forged.sig); i++)
        all[n - 1].sig[i] = forged.sig[i];
    cs_key_free(x);
    if (unlink(argv[1]) != 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (cs_rotation_append(argv[1], &all[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "cs_rotforge: %s\n", err);
            return 1;
        }
    free(all);
    return 0;
}
