/* SPDX-License-Identifier: MIT */
/*
 * event - journal row -> wire JSON, driven by one table.  See event.h.
 */
#include <string.h>

#include "jifen-sync/event.h"

enum col { C_END = 0, C_REF, C_HOUSEHOLD, C_POINTS, C_STATE, C_ACTOR, C_TEXT };

struct field {
	const char *key;
	enum col col;
	bool nullable;		/* NULL column -> JSON null (else "") */
};

#define EVENT_FIELDS_MAX 8

struct etype {
	const char *type;
	struct field f[EVENT_FIELDS_MAX];
};

/*
 * The event types of protocol v1 and the column behind each key (see the
 * column table in storage/village.h).  To add a type, add a row here and
 * its description in docs/SYNC.md.
 */
static const struct etype types[] = {
	{ "record.new", {
		{ "record", C_REF, false },
		{ "household", C_HOUSEHOLD, false },
		{ "points", C_POINTS, false },
		{ "reason", C_TEXT, false },
		{ "by", C_ACTOR, false },
		{ "status", C_STATE, false },
	} },
	{ "record.review", {
		{ "record", C_REF, false },
		{ "decision", C_STATE, false },
		{ "by", C_ACTOR, false },
		{ "reason", C_TEXT, false },
	} },
	{ "matter.new", {
		{ "matter", C_REF, false },
		{ "household", C_HOUSEHOLD, true },
		{ "phone", C_ACTOR, false },
		{ "text", C_TEXT, false },
	} },
	/* issue 11: an objection (异议) during 公示 */
	{ "record.objection", {
		{ "record", C_REF, false },
		{ "household", C_HOUSEHOLD, true },
		{ "by", C_ACTOR, false },
		{ "reason", C_TEXT, false },
	} },
};

static const struct etype *find(const char *type)
{
	size_t i;

	if (!type)
		return NULL;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(types[i].type, type))
			return &types[i];
	return NULL;
}

bool event_type_known(const char *type)
{
	return find(type) != NULL;
}

static const char *col_text(const struct store_event *e, enum col c)
{
	switch (c) {
	case C_REF:
		return e->ref;
	case C_HOUSEHOLD:
		return e->household;
	case C_STATE:
		return e->state;
	case C_ACTOR:
		return e->actor;
	case C_TEXT:
		return e->text;
	default:
		return NULL;
	}
}

cJSON *event_to_json(const struct store_event *e)
{
	const struct etype *t = find(e->type);
	const struct field *f;
	cJSON *o, *v;
	const char *s;

	if (!t)
		return NULL;
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	if (!cJSON_AddStringToObject(o, "id", e->id ? e->id : "") ||
	    !cJSON_AddStringToObject(o, "type", t->type) ||
	    !cJSON_AddStringToObject(o, "at", e->at ? e->at : ""))
		goto fail;
	for (f = t->f; f < t->f + EVENT_FIELDS_MAX && f->key; f++) {
		if (f->col == C_POINTS) {
			v = cJSON_CreateNumber((double)e->points);
		} else {
			s = col_text(e, f->col);
			if (!s && f->nullable)
				v = cJSON_CreateNull();
			else
				v = cJSON_CreateString(s ? s : "");
		}
		if (!v || !cJSON_AddItemToObject(o, f->key, v)) {
			cJSON_Delete(v);
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}
