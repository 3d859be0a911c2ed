-- generated from schemas/ by `bayres schema render` — do not edit

CREATE VIEW IF NOT EXISTS "BAYRES_LINEAGE" (
    "CSTR_ID" VARCHAR,
    "RECORD_ID" VARCHAR,
    "l"."SRC_PLATFORM" VARCHAR,
    "l"."SRC_SOURCE" VARCHAR,
    "l"."SRC_RECORD_ID" VARCHAR,
    "c"."NAME" VARCHAR,
    "l"."MATCH_RULE" VARCHAR,
    "l"."IS_SURVIVOR" BOOLEAN,
    "l"."RUN_DATE" VARCHAR,
    CONSTRAINT pk PRIMARY KEY ("CSTR_ID", "RECORD_ID")
) COLUMN_ENCODED_BYTES=0;
