/* SPDX-License-Identifier: MIT */
#ifndef JIFEN_SYNC_EVENT_H
#define JIFEN_SYNC_EVENT_H
/*
 * event - the wire form of one journal event (SPEC section 7), built from
 * the store's columns by a table: one row per event type, naming the
 * JSON key of each column.  Adding an event type is one table row in
 * event.c (and one line in docs/SYNC.md).  Pure: no I/O, no logging.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "storage/village.h"

/* Whether TYPE has a row in the table (an unknown type cannot be sent:
 * the caller sets it aside as rejected). */
bool event_type_known(const char *type);

/*
 * The JSON object {"id","type","at", <the type's fields>} of E (borrowed).
 * Returns a new object (caller frees with cJSON_Delete), or NULL for an
 * unknown type or out of memory.
 */
cJSON *event_to_json(const struct store_event *e);

#endif
