-- Households without dead ends (issue 11 item 3): staff bind an applicant
-- from their registration ticket, owners invite family members and tenants
-- with a one-time link, staff unbind people who moved out, and
-- `import owners --replace` removes the memberships a file no longer lists.

-- Someone an owner invited joins with their Telegram account alone: the
-- owner vouches for them, so the office may not have their phone.
ALTER TABLE people ALTER COLUMN phone DROP NOT NULL;

-- How a membership came about. `import`: an owners.csv row (only these are
-- removed by `import owners --replace` when the file no longer lists them);
-- `staff`: bound by staff from a registration request; `invite`: an owner's
-- invitation, by `invited_by`, whose members leave with that owner.
ALTER TABLE unit_members
    ADD COLUMN source TEXT NOT NULL DEFAULT 'import',
    ADD COLUMN invited_by BIGINT,
    ADD CONSTRAINT unit_members_source_check CHECK (source IN ('import', 'staff', 'invite')),
    ADD CONSTRAINT unit_members_invited_by_fkey
        FOREIGN KEY (invited_by) REFERENCES people (id) ON DELETE SET NULL;
CREATE INDEX unit_members_invited_by ON unit_members (invited_by) WHERE invited_by IS NOT NULL;

-- Every membership made or ended outside an import's upsert: who, which
-- unit, by whom and why. Kept when the membership is gone.
CREATE TABLE unit_member_log (
    id          BIGSERIAL PRIMARY KEY,
    unit_id     BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    person_id   BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    -- a staff member's Telegram id (`staff`), a person id (`owner`,
    -- `invite`), or none (`import`)
    actor_kind  TEXT NOT NULL,
    actor_id    BIGINT,
    note        TEXT,
    at          TIMESTAMPTZ NOT NULL,
    CONSTRAINT unit_member_log_action_check CHECK (action IN ('bound', 'unbound')),
    CONSTRAINT unit_member_log_actor_check CHECK (actor_kind IN ('staff', 'owner', 'invite', 'import'))
);
CREATE INDEX unit_member_log_unit ON unit_member_log (unit_id, at);

-- One-time invitation links (`t.me/<bot>?start=<code>`). The code is 122
-- random bits (a version 4 UUID from PostgreSQL's strong random source),
-- shown once in the owner's chat; only its SHA-256 is kept, so this table
-- cannot be used to forge a link.
CREATE TABLE invites (
    id          BIGSERIAL PRIMARY KEY,
    code_hash   BYTEA NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    invited_by  BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    used_by     BIGINT REFERENCES people (id) ON DELETE SET NULL,
    CONSTRAINT invites_code_hash_key UNIQUE (code_hash),
    CONSTRAINT invites_role_check CHECK (role IN ('tenant', 'family')),
    CONSTRAINT invites_expiry_check CHECK (expires_at > created_at)
);
CREATE INDEX invites_invited_by ON invites (invited_by, created_at);

-- How many memberships an `import owners --replace` removed.
ALTER TABLE import_runs ADD COLUMN removed BIGINT NOT NULL DEFAULT 0;
