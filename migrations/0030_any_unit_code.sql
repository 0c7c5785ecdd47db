-- Any unit code (issue 11 item 4). A unit's code is the office's own label,
-- kept verbatim (`A栋1203`, `12-502`, `D-07`, `3-2-1101`, `B2-车位-015`);
-- building, entrance and floor come from the CSV's columns, never from
-- parsing the code. An estate without entrances or floors (villas, parking
-- spaces) leaves them empty.
ALTER TABLE units ALTER COLUMN entrance DROP NOT NULL;
ALTER TABLE units ALTER COLUMN floor DROP NOT NULL;
COMMENT ON COLUMN units.code IS 'the office''s own label, verbatim: A栋1203, 12-502, D-07, 3-2-1101';

-- The key owners' typed variants of a code are found by: `A-1203`, `a栋 1203`
-- and `Ａ－１２０３` all give `a1203`; `3栋2单元1101` and `3-2-1101` both give
-- `321101`. In order: full-width forms to ASCII and lower case (NFKC), the
-- words of an address (号楼 栋 幢 座 单元 室 层 号 楼) become separators,
-- leading zeros of a number go (`D-07` and `D7` are one unit), then every
-- separator goes. Defined once, here: the column below is generated from it
-- and the bot compares typed text through the same function, so the two can
-- never disagree.
CREATE FUNCTION unit_search_key(code TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(
               regexp_replace(
                   regexp_replace(lower(normalize(code, NFKC)),
                                  '号楼|栋|幢|座|单元|室|层|号|楼', '-', 'g'),
                   '(^|[^0-9])0+([0-9])', '\1\2', 'g'),
               '[[:space:]\-_./\\·,，、#—–]+', '', 'g')
$$;

-- Filled for every row, old ones included, by PostgreSQL itself.
ALTER TABLE units
    ADD COLUMN search_key TEXT GENERATED ALWAYS AS (unit_search_key(code)) STORED;
CREATE INDEX units_search_key ON units (search_key);
