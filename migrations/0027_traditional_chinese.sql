-- A third language, Traditional Chinese, stored as `zh-Hant` (the code of
-- src/i18n.rs `Lang::ZhHant`, chosen for Telegram language codes zh-hant,
-- zh-tw, zh-hk and zh-mo, or with /lang).
ALTER TABLE chats DROP CONSTRAINT chats_language_check;
ALTER TABLE chats ADD CONSTRAINT chats_language_check
    CHECK (language IN ('zh', 'en', 'zh-Hant'));

ALTER TABLE people DROP CONSTRAINT people_language_check;
ALTER TABLE people ADD CONSTRAINT people_language_check
    CHECK (language IN ('zh', 'en', 'zh-Hant'));
