-- Visits (repair visits for a ticket and proactive owner visits, 走访), the
-- reminders that go out before them, and survey campaigns (invitations and
-- reminders to units that have not answered). Every timed message is a row
-- in `reminders`, claimed with FOR UPDATE SKIP LOCKED and marked sent in the
-- transaction that queues it, so it goes out exactly once.

-- Settings an office may change with SQL (one row). Times are local
-- (PROPDESK_TIMEZONE).
CREATE TABLE visit_settings (
    id                    BOOLEAN PRIMARY KEY DEFAULT TRUE,
    -- a visit may start at or after `office_open` and before `office_close`
    office_open           TIME NOT NULL DEFAULT '09:00',
    office_close          TIME NOT NULL DEFAULT '18:00',
    -- the slots `/visit N` offers: morning and afternoon of the next working days
    morning_slot          TIME NOT NULL DEFAULT '09:00',
    afternoon_slot        TIME NOT NULL DEFAULT '14:00',
    slot_days             INTEGER NOT NULL DEFAULT 3,
    -- survey messages are held outside quiet hours (start > end: over midnight)
    quiet_start           TIME NOT NULL DEFAULT '21:00',
    quiet_end             TIME NOT NULL DEFAULT '08:00',
    -- days between the invitation and the first reminder, and between reminders
    survey_reminder_days  INTEGER NOT NULL DEFAULT 3,
    -- the quarterly campaign starts by itself on this day of the quarter's
    -- first month (NULL: only by `/survey start`)
    survey_auto_day       INTEGER,
    CONSTRAINT visit_settings_single CHECK (id),
    CONSTRAINT visit_settings_hours_check CHECK (office_open < office_close),
    CONSTRAINT visit_settings_values_check
        CHECK (slot_days BETWEEN 1 AND 7 AND survey_reminder_days >= 1
               AND (survey_auto_day IS NULL OR survey_auto_day BETWEEN 1 AND 28))
);
INSERT INTO visit_settings DEFAULT VALUES;

CREATE TABLE visits (
    id              BIGSERIAL PRIMARY KEY,
    -- a repair visit belongs to a ticket; a proactive visit only to a unit
    ticket_id       BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    unit_id         BIGINT REFERENCES units (id),
    staff_id        BIGINT NOT NULL REFERENCES staff (telegram_user_id),
    -- where the staff member booked it: answers and their reminder go there
    staff_chat_id   BIGINT NOT NULL,
    -- the owner's private chat (NULL: nobody to ask; the office phones)
    owner_chat_id   BIGINT,
    at              TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL DEFAULT 'proposed',
    outcome         TEXT,
    outcome_note    TEXT,
    outcome_at      TIMESTAMPTZ,
    follow_up_ticket_id BIGINT REFERENCES tickets (id),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT visits_target_check CHECK (ticket_id IS NOT NULL OR unit_id IS NOT NULL),
    CONSTRAINT visits_status_check
        CHECK (status IN ('proposed', 'confirmed', 'reschedule', 'done', 'cancelled')),
    CONSTRAINT visits_outcome_check
        CHECK (outcome IS NULL OR outcome IN ('done', 'absent', 'follow_up'))
);
CREATE INDEX visits_ticket ON visits (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX visits_unit ON visits (unit_id);

-- A staff member was asked for the note of a visit's outcome and the next
-- text in that chat is it.
CREATE TABLE visit_prompts (
    chat_id     BIGINT NOT NULL,
    staff_id    BIGINT NOT NULL,
    visit_id    BIGINT NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    outcome     TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT visit_prompts_pkey PRIMARY KEY (chat_id, staff_id),
    CONSTRAINT visit_prompts_outcome_check CHECK (outcome IN ('done', 'absent', 'follow_up'))
);

-- A survey becomes a campaign when it is started: its units are invited.
ALTER TABLE surveys ADD COLUMN campaign_started_at TIMESTAMPTZ;

-- Every timed message: due, sent once (or skipped, or cancelled by a
-- reschedule — a cancelled row never fires).
CREATE TABLE reminders (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    visit_id      BIGINT REFERENCES visits (id) ON DELETE CASCADE,
    survey_id     BIGINT REFERENCES surveys (id) ON DELETE CASCADE,
    unit_id       BIGINT REFERENCES units (id) ON DELETE CASCADE,
    chat_id       BIGINT NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    sent_at       TIMESTAMPTZ,
    -- what happened when it came due: 'sent', or why not ('answered', 'too_late' …)
    result        TEXT,
    outbox_id     BIGINT REFERENCES outbox (id) ON DELETE SET NULL,
    cancelled_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT reminders_kind_check
        CHECK (kind IN ('visit_owner_24h', 'visit_owner_1h', 'visit_staff_1h',
                        'survey_invite', 'survey_reminder_1', 'survey_reminder_2')),
    CONSTRAINT reminders_subject_check
        CHECK ((visit_id IS NOT NULL) <> (survey_id IS NOT NULL)),
    CONSTRAINT reminders_survey_unit_check CHECK (survey_id IS NULL OR unit_id IS NOT NULL)
);
CREATE INDEX reminders_due ON reminders (due_at) WHERE sent_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX reminders_visit ON reminders (visit_id) WHERE visit_id IS NOT NULL;
-- one invitation and at most two reminders per unit per campaign
CREATE UNIQUE INDEX reminders_survey_unit_kind ON reminders (survey_id, unit_id, kind)
    WHERE survey_id IS NOT NULL;
