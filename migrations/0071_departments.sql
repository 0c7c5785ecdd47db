-- Departments: every ticket belongs to one (customer service unless a
-- route in the office settings names another); a transfer moves it.
ALTER TABLE tickets
    ADD COLUMN department text NOT NULL DEFAULT 'service'
        CONSTRAINT tickets_department_check
        CHECK (department IN ('service', 'engineering', 'security', 'cleaning'));

-- The default routes (office_settings.rs): repairs to engineering, security
-- and cleanliness complaints to security and cleaning.
UPDATE tickets SET department = 'engineering' WHERE kind = 'repair';
UPDATE tickets SET department = 'security' WHERE kind = 'complaint' AND category = 'security';
UPDATE tickets SET department = 'cleaning' WHERE kind = 'complaint' AND category = 'cleaning';

-- A department's queue.
CREATE INDEX tickets_department_open ON tickets (department, priority, created_at)
    WHERE status IN ('open', 'claimed', 'scheduled');
