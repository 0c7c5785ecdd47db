-- Office settings a manager changes while the bot runs, in one place
-- (src/domain/office_settings.rs owns them and states their defaults).
-- Replaces the single-row tables `queue_settings` and `visit_settings` and
-- the `sla_rules` table, which only hand-written SQL could change.

-- Only keys someone changed have a row; every other key has its default.
-- `value` is the canonical text the Rust module parses (`09:00`,
-- `09:00-18:00`, `7`, `off`, `30m/4h` or plain minutes `30/240`).
CREATE TABLE office_settings (
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by  TEXT NOT NULL,
    CONSTRAINT office_settings_pkey PRIMARY KEY (key)
);

-- Who changed what, from what to what (old is the value in force before:
-- the default if the key had no row).
CREATE TABLE office_settings_audit (
    id          BIGSERIAL,
    key         TEXT NOT NULL,
    old_value   TEXT NOT NULL,
    new_value   TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT office_settings_audit_pkey PRIMARY KEY (id)
);
CREATE INDEX office_settings_audit_key ON office_settings_audit (key, changed_at);

-- Carry over what an office changed by SQL: each value that differs from
-- the default the old tables were created with (which are the module's
-- defaults), so an unchanged office keeps following the code's defaults.
INSERT INTO office_settings (key, value, updated_by)
SELECT key, value, 'migration 0010'
  FROM (
    SELECT 'reopen_days' AS key, reopen_days::text AS value, reopen_days <> 7 AS changed
      FROM queue_settings
    UNION ALL
    SELECT 'ping_interval_minutes', ping_interval_minutes::text, ping_interval_minutes <> 60
      FROM queue_settings
    UNION ALL
    SELECT 'digest_time', to_char(digest_at, 'HH24:MI'), digest_at <> '09:00'
      FROM queue_settings
    UNION ALL
    SELECT 'office_hours', to_char(office_open, 'HH24:MI') || '-' || to_char(office_close, 'HH24:MI'),
           office_open <> '09:00' OR office_close <> '18:00'
      FROM visit_settings
    UNION ALL
    SELECT 'visit_morning_slot', to_char(morning_slot, 'HH24:MI'), morning_slot <> '09:00'
      FROM visit_settings
    UNION ALL
    SELECT 'visit_afternoon_slot', to_char(afternoon_slot, 'HH24:MI'), afternoon_slot <> '14:00'
      FROM visit_settings
    UNION ALL
    SELECT 'visit_slot_days', slot_days::text, slot_days <> 3
      FROM visit_settings
    UNION ALL
    -- The survey quiet hours become the one quiet hours value (the other
    -- one, PROPDESK_QUIET_HOURS, lived in the environment, not here).
    SELECT 'quiet_hours', to_char(quiet_start, 'HH24:MI') || '-' || to_char(quiet_end, 'HH24:MI'),
           quiet_start <> '21:00' OR quiet_end <> '08:00'
      FROM visit_settings
    UNION ALL
    SELECT 'survey_reminder_days', survey_reminder_days::text, survey_reminder_days <> 3
      FROM visit_settings
    UNION ALL
    SELECT 'survey_auto_day', survey_auto_day::text, survey_auto_day IS NOT NULL
      FROM visit_settings
  ) old
 WHERE changed;

-- Deadlines: the rule in force for each kind and priority (the exact kind's
-- row, else the priority's `*` row), where it differs from 0005's seed.
WITH kinds (kind) AS (
    VALUES ('complaint'), ('repair'), ('consultation'), ('registration'), ('suggestion'), ('other')
), priorities (priority) AS (
    VALUES ('low'), ('normal'), ('high'), ('urgent')
), seed (kind, priority, response_minutes, resolve_minutes) AS (
    VALUES ('*', 'urgent', 30, 240), ('*', 'high', 60, 720), ('*', 'normal', 240, 2880),
           ('*', 'low', 1440, 10080), ('consultation', 'normal', 120, 1440),
           ('suggestion', 'normal', 1440, 10080), ('suggestion', 'low', 2880, 20160)
), pairs AS (
    SELECT k.kind, p.priority,
           (SELECT ROW(r.response_minutes, r.resolve_minutes)::text FROM sla_rules r
             WHERE r.priority = p.priority AND r.kind IN (k.kind, '*')
             ORDER BY r.kind = '*' LIMIT 1) AS now_rule,
           (SELECT ROW(s.response_minutes, s.resolve_minutes)::text FROM seed s
             WHERE s.priority = p.priority AND s.kind IN (k.kind, '*')
             ORDER BY s.kind = '*' LIMIT 1) AS seed_rule,
           (SELECT r.response_minutes || '/' || r.resolve_minutes FROM sla_rules r
             WHERE r.priority = p.priority AND r.kind IN (k.kind, '*')
             ORDER BY r.kind = '*' LIMIT 1) AS value
      FROM kinds k CROSS JOIN priorities p
)
INSERT INTO office_settings (key, value, updated_by)
SELECT 'deadline.' || kind || '.' || priority, value, 'migration 0010'
  FROM pairs
 WHERE value IS NOT NULL AND now_rule IS DISTINCT FROM seed_rule;

DROP TABLE queue_settings;
DROP TABLE visit_settings;
DROP TABLE sla_rules;
