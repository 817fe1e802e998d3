/* SPDX-License-Identifier: MIT */
/*
 * The mounted drives a USB stick shows up as (ui.h's ui_drives()), for the
 * stick's buttons of the sync page and the enrollment files of the setup
 * page.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "ui.h"

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const struct ui_drive *)a)->name, ((const struct ui_drive *)b)->name);
}

/* The folders under root (but skip), each a drive. */
static size_t
drives_in(const char *root, const char *skip, struct ui_drive *v, size_t n, size_t max)
{
    DIR *d = opendir(root);
    struct dirent *e;

    while (d != NULL && n < max && (e = readdir(d)) != NULL) {
        struct stat st;
        struct statvfs fs;
        struct ui_drive *dr = &v[n];
        if (e->d_name[0] == '.' || (skip != NULL && strcmp(e->d_name, skip) == 0))
            continue;
        int w = snprintf(dr->path, sizeof(dr->path), "%s/%s", root, e->d_name);
        if (w < 0 || (size_t)w >= sizeof(dr->path) || stat(dr->path, &st) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        snprintf(dr->name, sizeof(dr->name), "%s", e->d_name);
        dr->avail = statvfs(dr->path, &fs) == 0 ? (unsigned long long)fs.f_bavail * fs.f_frsize : 0;
        n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

size_t
ui_drives(struct ui_drive *v, size_t max)
{
    const char *media = getenv("CELLSYNC_MEDIA"), *user = getenv("USER");
    char mine[PATH_MAX];
    size_t n = 0;

    if (media != NULL && media[0] != 0)
        return drives_in(media, NULL, v, 0, max);
    if (user != NULL && user[0] != 0 && strchr(user, '/') == NULL) {
        snprintf(mine, sizeof(mine), "/media/%s", user);
        n = drives_in(mine, NULL, v, n, max);
    }
    n = drives_in("/media", user, v, n, max);
    qsort(v, n, sizeof(v[0]), by_name);
    return n;
}
