/* SPDX-License-Identifier: MIT */
/*
 * The member pages of `cellsync ui` (ui.h): none yet.
 */
#include <stddef.h>

#include "ui.h"

const struct ui_route ui_routes_member[] = {
    {NULL, NULL, NULL},
};
