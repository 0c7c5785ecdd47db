-- The estate and the people in it, staff, dialogue state and tickets.
-- Money is stored in cents (BIGINT) so sums are exact.

CREATE TABLE units (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL,              -- "3-2-1101": building-entrance-room
    building    TEXT NOT NULL,
    entrance    TEXT NOT NULL,
    floor       INTEGER NOT NULL,
    area_m2     DOUBLE PRECISION NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT units_code_key UNIQUE (code),
    CONSTRAINT units_area_check CHECK (area_m2 > 0)
);
CREATE INDEX units_building_floor ON units (building, floor);

-- Owners, tenants and family members. `phone` is normalized (see domain::phone):
-- "+8613812345678" for Chinese mobiles, "+<digits>" otherwise.
CREATE TABLE people (
    id                BIGSERIAL PRIMARY KEY,
    name              TEXT NOT NULL,
    phone             TEXT NOT NULL,
    telegram_user_id  BIGINT,
    language          TEXT,
    fee_reminders     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT people_phone_key UNIQUE (phone),
    CONSTRAINT people_telegram_user_id_key UNIQUE (telegram_user_id),
    CONSTRAINT people_language_check CHECK (language IN ('zh', 'en'))
);

CREATE TABLE unit_members (
    unit_id     BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT unit_members_pkey PRIMARY KEY (unit_id, person_id),
    CONSTRAINT unit_members_role_check CHECK (role IN ('owner', 'tenant', 'family'))
);
CREATE INDEX unit_members_person ON unit_members (person_id);

CREATE TABLE staff (
    telegram_user_id  BIGINT PRIMARY KEY,
    staff_no          SERIAL NOT NULL,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT staff_staff_no_key UNIQUE (staff_no),
    CONSTRAINT staff_role_check CHECK (role IN ('assistant', 'butler', 'supervisor', 'manager'))
);

-- Where each private chat stands in a dialogue. `version` is the hash of the
-- dialogue file the conversation started under.
CREATE TABLE conversations (
    chat_id     BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    dialogue    TEXT NOT NULL,
    state       JSONB NOT NULL,
    version     TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE tickets (
    id                 BIGSERIAL PRIMARY KEY,
    kind               TEXT NOT NULL,
    category           TEXT,
    priority           TEXT NOT NULL DEFAULT 'normal',
    status             TEXT NOT NULL DEFAULT 'open',
    channel            TEXT NOT NULL DEFAULT 'telegram',
    unit_id            BIGINT REFERENCES units (id),
    person_id          BIGINT REFERENCES people (id),
    owner_chat_id      BIGINT,
    location           TEXT,
    description        TEXT NOT NULL DEFAULT '',
    fields             JSONB NOT NULL DEFAULT '{}'::jsonb,
    assignee           BIGINT REFERENCES staff (telegram_user_id),
    -- the update that filed it: a redelivered confirm cannot file it twice
    source_update_id   BIGINT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    first_response_at  TIMESTAMPTZ,
    resolved_at        TIMESTAMPTZ,
    closed_at          TIMESTAMPTZ,
    due_response_at    TIMESTAMPTZ,
    due_resolve_at     TIMESTAMPTZ,
    appointment_at     TIMESTAMPTZ,
    rating             SMALLINT,
    rating_comment     TEXT,
    CONSTRAINT tickets_kind_check
        CHECK (kind IN ('complaint', 'repair', 'consultation', 'registration', 'suggestion', 'other')),
    CONSTRAINT tickets_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT tickets_status_check
        CHECK (status IN ('open', 'claimed', 'scheduled', 'resolved', 'closed', 'cancelled')),
    CONSTRAINT tickets_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT tickets_source_update_key UNIQUE (source_update_id)
);
CREATE INDEX tickets_open ON tickets (priority, created_at) WHERE status IN ('open', 'claimed', 'scheduled');
CREATE INDEX tickets_owner ON tickets (owner_chat_id, created_at);

-- The audit trail of a ticket. `internal` events are never shown to the owner.
CREATE TABLE ticket_events (
    id          BIGSERIAL PRIMARY KEY,
    ticket_id   BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor_kind  TEXT NOT NULL,
    actor_id    BIGINT,
    kind        TEXT NOT NULL,
    body        TEXT,
    internal    BOOLEAN NOT NULL DEFAULT FALSE,
    data        JSONB NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT ticket_events_actor_check CHECK (actor_kind IN ('owner', 'staff', 'system'))
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

-- Photos and files attached to tickets (Telegram file ids; the files stay on Telegram).
CREATE TABLE attachments (
    id              BIGSERIAL PRIMARY KEY,
    ticket_id       BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT,
    kind            TEXT NOT NULL DEFAULT 'photo',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX attachments_ticket ON attachments (ticket_id);

-- Fees per unit, period and item, in cents.
CREATE TABLE fees (
    id                BIGSERIAL PRIMARY KEY,
    unit_id           BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    period            TEXT NOT NULL,          -- "2026-11"
    item              TEXT NOT NULL,
    amount_due_cents  BIGINT NOT NULL,
    amount_paid_cents BIGINT NOT NULL DEFAULT 0,
    due_date          DATE NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT fees_unit_period_item_key UNIQUE (unit_id, period, item),
    CONSTRAINT fees_amounts_check CHECK (amount_due_cents >= 0 AND amount_paid_cents >= 0),
    CONSTRAINT fees_period_check CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$')
);

-- The suggestion box (the office's contact box, opened every day).
CREATE TABLE suggestions (
    id           BIGSERIAL PRIMARY KEY,
    person_id    BIGINT REFERENCES people (id),
    chat_id      BIGINT,
    anonymous    BOOLEAN NOT NULL DEFAULT FALSE,
    body         TEXT NOT NULL,
    photos       JSONB NOT NULL DEFAULT '[]'::jsonb,
    source_update_id BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at      TIMESTAMPTZ,
    CONSTRAINT suggestions_source_update_key UNIQUE (source_update_id)
);

-- Quarterly satisfaction surveys: one response per unit per campaign.
CREATE TABLE surveys (
    id          BIGSERIAL PRIMARY KEY,
    code        TEXT NOT NULL,               -- "2026Q4"
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    closes_at   TIMESTAMPTZ,
    CONSTRAINT surveys_code_key UNIQUE (code)
);

CREATE TABLE survey_responses (
    survey_id   BIGINT NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    unit_id     BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    person_id   BIGINT REFERENCES people (id),
    anonymous   BOOLEAN NOT NULL DEFAULT FALSE,
    answers     JSONB NOT NULL,
    comment     TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT survey_responses_pkey PRIMARY KEY (survey_id, unit_id)
);
