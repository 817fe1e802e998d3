/* SPDX-License-Identifier: MIT */
/*
 * The sync pages of `cellsync ui` (ui.h): none yet.
 */
#include <stddef.h>

#include "ui.h"

const struct ui_route ui_routes_sync[] = {
    {NULL, NULL, NULL},
};
