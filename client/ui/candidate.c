/* SPDX-License-Identifier: MIT */
/*
 * The candidate pages of `cellsync ui` (ui.h): none yet.
 */
#include <stddef.h>

#include "ui.h"

const struct ui_route ui_routes_candidate[] = {
    {NULL, NULL, NULL},
};
