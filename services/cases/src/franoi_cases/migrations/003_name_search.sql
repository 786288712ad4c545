-- Finding a person by a name typed with typos or in another transliteration
-- (franoi_cases.domain.names): every person's name is kept as its words
-- (persons.name_words), and each partner's names as a vocabulary of words with their
-- skeletons (name_vocabulary). A search matches each searched word against the
-- vocabulary (the same skeleton: another spelling; a word close by trigrams: a typo or a
-- part), then finds the persons holding the words it matched (GIN index on the words).
--
-- pg_trgm and btree_gin are contrib extensions marked trusted: the database's owner may
-- create them.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- The words of a name, as franoi_cases.domain.names.name_words makes them: apostrophes
-- join letters, combining marks (NFKD) go, a few letters are spelled out, ASCII upper case
-- is lowered, and the words are the runs of a-z. Used to fill the rows recorded before
-- this migration; the service computes the same in Python (a test holds the two equal).
CREATE FUNCTION cases_name_words(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT coalesce(array_agg(m[1] ORDER BY i), '{}')
    FROM regexp_matches(
        translate(
            replace(replace(replace(replace(replace(replace(replace(replace(
                regexp_replace(
                    normalize(translate(name, '''’ʼ`´‘', ''), NFKD),
                    '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g'
                ),
                'ß', 'ss'), 'ẞ', 'ss'), 'æ', 'ae'), 'Æ', 'ae'),
                'œ', 'oe'), 'Œ', 'oe'), 'þ', 'th'), 'Þ', 'th'),
            'ABCDEFGHIJKLMNOPQRSTUVWXYZøØłŁđĐðÐı', 'abcdefghijklmnopqrstuvwxyzoollddddi'
        ),
        '[a-z]+', 'g'
    ) WITH ORDINALITY AS found(m, i);
END;

-- The skeleton of a word, as franoi_cases.domain.names.skeleton makes it.
CREATE FUNCTION cases_name_skeleton(word text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
BEGIN ATOMIC
    SELECT regexp_replace(
        CASE WHEN c ~ '^y[aeiou]' THEN 'y' || regexp_replace(substr(c, 2), '[aeiouy]+', 'a', 'g')
             ELSE regexp_replace(c, '[aeiouy]+', 'a', 'g') END,
        '(.)\1+', '\1', 'g'
    )
    FROM (
        SELECT regexp_replace(
            replace(regexp_replace(b, 'c(?=[eiy])', 's', 'g'), 'c', 'k'),
            '(?<=[aeiouy])[hw]$', ''
        ) AS c
        FROM (
            SELECT replace(replace(replace(replace(replace(replace(replace(replace(replace(
                   replace(replace(replace(replace(a,
                   'sch', 's'), 'sh', 's'), 'ch', 's'), 'ph', 'f'), 'kh', 'k'), 'gh', 'g'),
                   'dh', 'd'), 'th', 't'), 'dj', 'j'), 'ck', 'k'), 'q', 'k'), 'x', 'h'),
                   'z', 's') AS b
            FROM (
                SELECT regexp_replace(regexp_replace(word, '^di(?=[aeiouy])', 'j'),
                                      '^ou(?=[aeiouy])', 'w') AS a
            ) AS initials
        ) AS sounds
    ) AS consonants;
END;

ALTER TABLE persons ADD COLUMN name_words text[];
UPDATE persons SET name_words = cases_name_words(given_names || ' ' || family_name);
ALTER TABLE persons ALTER COLUMN name_words SET NOT NULL;
-- Who holds a word (similar-name search, possible duplicates); partner first (btree_gin).
CREATE INDEX persons_by_name_word ON persons USING gin (partner_id, name_words);
-- Part of a name ("contains" search: search_name LIKE '%word%').
CREATE INDEX persons_by_name_part ON persons USING gin (partner_id, search_name gin_trgm_ops);

-- The words of the partner's names and their skeletons. A word no record holds any more
-- (its record erased, or its name corrected) is removed with that change.
CREATE TABLE name_vocabulary (
    partner_id text NOT NULL,
    word       text NOT NULL CHECK (word ~ '^[a-z]+$'),
    skeleton   text NOT NULL CHECK (skeleton ~ '^[a-z]+$'),
    PRIMARY KEY (partner_id, word)
);
INSERT INTO name_vocabulary (partner_id, word, skeleton)
SELECT DISTINCT partner_id, w, cases_name_skeleton(w) FROM persons, unnest(name_words) AS w;
-- Another spelling: the same skeleton.
CREATE INDEX name_vocabulary_by_skeleton ON name_vocabulary (partner_id, skeleton);
-- A typo (trigram similarity) or a part (LIKE '%word%') of a word.
CREATE INDEX name_vocabulary_by_word ON name_vocabulary USING gin (partner_id, word gin_trgm_ops);
