/* SPDX-License-Identifier: MIT */
/*
 * The conflict pages of `cellsync ui` (ui.h): none yet.
 */
#include <stddef.h>

#include "ui.h"

const struct ui_route ui_routes_conflict[] = {
    {NULL, NULL, NULL},
};
