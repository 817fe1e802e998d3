/* SPDX-License-Identifier: MIT */
/*
 * Is the data directory on an encrypted disk? A stolen laptop must not give
 * away the records (review F4), and cellsync cannot encrypt SQLite's files
 * itself, so `cellsync init` asks the kernel what the directory's filesystem
 * sits on. The directory's device (major:minor of st_dev) is looked up under
 * /sys/dev/block, and followed down: a device-mapper device whose dm/uuid
 * starts with "CRYPT-" is dm-crypt (LUKS or plain), so encrypted; another
 * device-mapper device (LVM, RAID) is encrypted when every device under it
 * (its slaves/) is; a partition is as encrypted as the disk it is on; any
 * other disk is not. This is the layout of the Debian installer's "Guided -
 * use entire disk and set up encrypted LVM": an LVM volume on a CRYPT- device
 * on a partition. $CELLSYNC_SYSFS names another root than /sys, so tests
 * can build the tree of an encrypted and of a plain disk.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "client.h"

/* Deeper stacks than this (LVM on RAID on dm-crypt on a partition is 4) are a loop. */
#define DISK_DEPTH_MAX 16

/* Does the device at sysfs directory dir, or all it is built on, go through dm-crypt? */
static int
dev_encrypted(const char *dir, int depth)
{
    char path[PATH_MAX + 64], uuid[64] = "", real[PATH_MAX];
    FILE *f;
    DIR *d;
    struct dirent *de;
    int under = 0, all = 1;

    if (depth > DISK_DEPTH_MAX)
        return 0;
    snprintf(path, sizeof(path), "%s/dm/uuid", dir);
    if ((f = fopen(path, "r")) != NULL) {
        if (fgets(uuid, sizeof(uuid), f) == NULL)
            uuid[0] = 0;
        fclose(f);
        if (strncmp(uuid, "CRYPT-", 6) == 0)
            return 1;
    }
    snprintf(path, sizeof(path), "%s/slaves", dir);
    if ((d = opendir(path)) != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            char slave[PATH_MAX + 300];
            snprintf(slave, sizeof(slave), "%s/slaves/%s", dir, de->d_name);
            under++;
            if (realpath(slave, real) == NULL || !dev_encrypted(real, depth + 1))
                all = 0;
        }
        closedir(d);
        if (under > 0)
            return all;
    }
    /* A partition's directory is inside its disk's. */
    snprintf(path, sizeof(path), "%s/partition", dir);
    if (access(path, F_OK) == 0) {
        snprintf(real, sizeof(real), "%s", dir);
        char *slash = strrchr(real, '/');
        if (slash == NULL || slash == real)
            return 0;
        *slash = 0;
        return dev_encrypted(real, depth + 1);
    }
    return 0;
}

const char *
client_sysfs(void)
{
    const char *sys = getenv("CELLSYNC_SYSFS");
    return sys != NULL && sys[0] != 0 ? sys : "/sys";
}

enum client_disk
client_disk_check(const char *path, char *dev, size_t devlen)
{
    char dir[PATH_MAX], link[PATH_MAX + 64], real[PATH_MAX];
    const char *sys = client_sysfs();
    struct stat st;

    snprintf(dev, devlen, "?");
    /* The directory may not exist yet: the filesystem it will be made on is its nearest parent's.
     */
    snprintf(dir, sizeof(dir), "%s", path);
    while (stat(dir, &st) != 0) {
        char *slash = strrchr(dir, '/');
        if (errno != ENOENT || slash == NULL)
            return CLIENT_DISK_UNKNOWN;
        if (slash == dir)
            slash[1] = 0;
        else
            *slash = 0;
    }
    snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sys, major(st.st_dev), minor(st.st_dev));
    /* Major 0: tmpfs, overlay, btrfs, NFS... a filesystem with no block device of its own. */
    if (realpath(link, real) == NULL)
        return major(st.st_dev) == 0 ? CLIENT_DISK_NODEV : CLIENT_DISK_UNKNOWN;
    const char *name = strrchr(real, '/');
    snprintf(dev, devlen, "%s", name != NULL ? name + 1 : real);
    return dev_encrypted(real, 0) ? CLIENT_DISK_CRYPT : CLIENT_DISK_PLAIN;
}
