-- Employment read models: the partners' work desks as facts, one row per aggregate
-- (skills assessments: one row per version). Persons appear only as person_ref;
-- companies only as agreement ids and ATECO sections; no course or company names.

CREATE TABLE employment_consultations (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    consultation_id   uuid NOT NULL,
    person_ref        text NOT NULL,
    held_on           date NOT NULL,
    topic             text NOT NULL,
    minutes           integer NOT NULL,
    worker_role       text NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    PRIMARY KEY (partner_id, consultation_id)
);
CREATE INDEX employment_consultations_held ON employment_consultations (partner_id, held_on);

CREATE TABLE employment_group_activities (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    group_activity_id    uuid NOT NULL,
    kind                 text NOT NULL,
    scheduled_on         date,
    status               text NOT NULL DEFAULT 'scheduled',
    held_on              date,
    registered_attendees integer,
    anonymous_attendees  integer,
    cancelled_on         date,
    PRIMARY KEY (partner_id, group_activity_id)
);
CREATE INDEX employment_group_activities_held
    ON employment_group_activities (partner_id, held_on);

-- Who of the partner's persons attended a held activity (pseudonymous journeys).
CREATE TABLE employment_group_attendees (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    group_activity_id uuid NOT NULL,
    person_ref        text NOT NULL,
    PRIMARY KEY (partner_id, group_activity_id, person_ref)
);
CREATE INDEX employment_group_attendees_person ON employment_group_attendees (person_ref);

CREATE TABLE employment_skills_assessments (
    partner_id          text NOT NULL REFERENCES partners (partner_id),
    skills_profile_id   uuid NOT NULL,
    version             integer NOT NULL,
    person_ref          text NOT NULL,
    assessed_on         date NOT NULL,
    education_level     text NOT NULL,
    italian_level       text NOT NULL,
    italian_assessed_on date NOT NULL,
    other_languages     text[] NOT NULL,
    prior_sectors       text[] NOT NULL,
    driving_licence     text NOT NULL,
    PRIMARY KEY (partner_id, skills_profile_id, version)
);

CREATE TABLE employment_company_agreements (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    company_agreement_id uuid NOT NULL,
    sector               text NOT NULL,
    places_offered       integer NOT NULL,
    signed_on            date NOT NULL,
    valid_until          date,
    ended_on             date,
    PRIMARY KEY (partner_id, company_agreement_id)
);

CREATE TABLE employment_enrolments (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    enrolment_id      uuid NOT NULL,
    person_ref        text NOT NULL,
    course_kind       text NOT NULL,
    hours             integer NOT NULL,
    starts_on         date NOT NULL,
    ends_on           date NOT NULL,
    status            text NOT NULL DEFAULT 'enrolled',
    closed_on         date,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    PRIMARY KEY (partner_id, enrolment_id)
);
CREATE INDEX employment_enrolments_starts ON employment_enrolments (partner_id, starts_on);
CREATE INDEX employment_enrolments_closed ON employment_enrolments (partner_id, closed_on);

CREATE TABLE employment_internships (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    internship_id        uuid NOT NULL,
    person_ref           text NOT NULL,
    company_agreement_id uuid NOT NULL,
    sector               text NOT NULL,
    started_on           date NOT NULL,
    planned_end_on       date NOT NULL,
    monthly_stipend_eur  integer NOT NULL,
    stipend_paid_by      text NOT NULL,
    ended_on             date,
    outcome              text,
    interrupted_by       text,
    outcome_recorded_on  date,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    PRIMARY KEY (partner_id, internship_id)
);
CREATE INDEX employment_internships_started ON employment_internships (partner_id, started_on);
CREATE INDEX employment_internships_ended ON employment_internships (partner_id, ended_on);

CREATE TABLE employment_hires (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    hire_id              uuid NOT NULL,
    person_ref           text NOT NULL,
    company_agreement_id uuid,
    internship_id        uuid,
    sector               text NOT NULL,
    contract_type        text NOT NULL,
    weekly_hours         integer NOT NULL,
    started_on           date NOT NULL,
    ends_on              date,
    ended_on             date,
    end_reason           text,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    PRIMARY KEY (partner_id, hire_id)
);
CREATE INDEX employment_hires_started ON employment_hires (partner_id, started_on);
CREATE INDEX employment_hires_person ON employment_hires (person_ref);
