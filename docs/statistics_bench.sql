-- National-scale data for the statistics report (docs/statistics.md): 290 municipalities, 3,000 units,
-- 250k people, 300k cases, ~1.8M deadlines, 80k deviation reports. Run in a migrated, otherwise empty database:
--   psql -d DB -f docs/statistics_bench.sql   (about 4 minutes on a 2-core machine)
INSERT INTO actors_user (password,last_login,is_superuser,username,first_name,last_name,email,is_staff,is_active,date_joined,title,phone)
VALUES ('x',NULL,false,'bench','B','B','b@example.se',false,true,now(),'','');
INSERT INTO actors_municipality (code,name,county,county_part)
SELECT lpad(g::text,4,'0'), 'Kommun '||g, (ARRAY['01','03','04','05','06','07','08','09','10','12','13','14','17','18','19','20','21','22','23','24','25'])[1 + g % 21], 'Länsdel '||(g % 60)
FROM generate_series(1,290) g;
INSERT INTO actors_huvudman (name,kind,county,organisationsnummer)
SELECT 'Huvudman '||g, CASE WHEN g<=21 THEN 'region' ELSE 'kommun' END, (ARRAY['01','03','04','05','06','07','08','09','10','12','13','14','17','18','19','20','21','22','23','24','25'])[1 + g % 21], lpad(g::text,6,'9')||'-'||lpad(g::text,4,'0')
FROM generate_series(1,311) g;
INSERT INTO actors_unit (key,name,kind,email,phone,postal_address,hsa_id,has_system_access,is_active,huvudman_id,municipality_id)
SELECT 'u'||g, 'Enhet '||g, 'soc_ifo', '', '', '', '', true, true, (SELECT min(id) FROM actors_huvudman) + g % 311, (SELECT min(id) FROM actors_municipality) + g % 290
FROM generate_series(1,3000) g;
INSERT INTO sip_individual (id_kind,id_number,reserve_number,first_name,last_name,birth_date,gender,address,email,phone,protected_identity,protected_residence,created_at,home_municipality_id)
SELECT 'okand','', '', 'F','E', DATE '1950-01-01' + (g * 37 % 25000), (ARRAY['female','male','other'])[1 + (g % 100 > 47)::int + (g % 100 > 97)::int], '', '', '', false, false, now(), (SELECT min(id) FROM actors_municipality) + g % 290
FROM generate_series(1,250000) g;
INSERT INTO sip_case (reason,is_acute,status,end_reason,opened_at,ended_at,agreement_id,convening_unit_id,coordinator_id,individual_id)
SELECT 'x', false, (ARRAY['behov','samtycke','kallad','mote_hallet','plan','uppfoljning','avslutad','samtycke_nekat','avbrutet'])[1 + g % 9], '',
       TIMESTAMPTZ '2022-01-01' + (g % 1460) * interval '1 day' + interval '9 hours',
       CASE WHEN g % 9 IN (6,7,8) THEN TIMESTAMPTZ '2022-01-01' + (g % 1460 + 40) * interval '1 day' END,
       (SELECT id FROM agreements_agreement ORDER BY id LIMIT 1 OFFSET g % (SELECT count(*) FROM agreements_agreement)),
       (SELECT min(id) FROM actors_unit) + g % 3000, (SELECT min(id) FROM actors_user), (SELECT min(id) FROM sip_individual) + g % 250000
FROM generate_series(1,300000) g;
INSERT INTO sip_consent (given_at,given_by_individual,valid_until,withdrawn_at,withdrawn_by,case_id)
SELECT opened_at + interval '2 days', true, NULL, NULL, '', id FROM sip_case WHERE status <> 'samtycke_nekat' AND id % 10 <> 0;
INSERT INTO sip_meeting (kind,starts_at,duration_minutes,place,video_link,notes,status,uid,sequence,kallelse_sent_at,held_at,case_id)
SELECT 'sip', opened_at + ((id % 15) + 10) * interval '1 day', 60, 'x','','', CASE WHEN id % 7 = 0 THEN 'planerat' ELSE 'hallet' END, gen_random_uuid(), 0, opened_at + ((id % 6) + 3) * interval '1 day', NULL, id
FROM sip_case WHERE id % 10 <> 0;
INSERT INTO sip_meeting (kind,starts_at,duration_minutes,place,video_link,notes,status,uid,sequence,kallelse_sent_at,held_at,case_id)
SELECT 'uppfoljning', opened_at + interval '120 days', 60, 'x','','', 'hallet', gen_random_uuid(), 0, opened_at + interval '100 days', NULL, id
FROM sip_case WHERE id % 3 = 0;
-- 2M deadlines: kallelse, meeting, follow-up per case (~0.9M), plus other kinds on cases to reach 2M.
INSERT INTO deadlines_deadline (object_id,kind,started_at,due_at,status,met_at,reason,escalation_level,reminders_sent,created_at,content_type_id,responsible_unit_id,rule_id)
SELECT c.id, k.kind, c.opened_at + interval '2 days', c.opened_at + k.days * interval '1 day', CASE WHEN c.id % 5 = 0 THEN 'breached' ELSE 'met' END,
       c.opened_at + ((c.id % 12) + 3) * interval '1 day', '', 0, 0, now(),
       (SELECT id FROM django_content_type WHERE app_label='sip' AND model='case'), c.convening_unit_id,
       (SELECT min(id) FROM agreements_deadlinerule)
FROM sip_case c CROSS JOIN (VALUES ('kallelse', 9), ('sip_mote', 16), ('uppfoljning', 200)) AS k(kind, days);
INSERT INTO deadlines_deadline (object_id,kind,started_at,due_at,status,met_at,reason,escalation_level,reminders_sent,created_at,content_type_id,responsible_unit_id,rule_id)
SELECT c.id, k.kind, c.opened_at + interval '5 days', c.opened_at + interval '20 days', CASE WHEN c.id % 4 = 0 THEN 'breached' ELSE 'met' END,
       c.opened_at + ((c.id % 20) + 3) * interval '1 day', '', 0, 0, now(),
       (SELECT id FROM django_content_type WHERE app_label='sip' AND model='case'), c.convening_unit_id,
       (SELECT min(id) FROM agreements_deadlinerule)
FROM sip_case c CROSS JOIN (VALUES ('kostnadsfordelning_akut'), ('halsoundersokning'), ('skyddsbedomning'), ('forhandsbedomning')) AS k(kind)
WHERE k.kind <> 'kostnadsfordelning_akut' OR c.id % 30 = 0;
-- 80k deviation reports (one per 3.75 cases): 1 in 10 without a case, drafts and dismissed drafts among
-- them, at the first, second or third step of the agreement's seeded ladder (or none).
INSERT INTO sip_deviationreport (category,occurred_at,description,status,created_at,registered_at,closed_at,agreement_id,case_id,deadline_id,invitation_id,level_id,meeting_id,reported_by_id,reporting_unit_id)
SELECT (ARRAY['missad_frist','utebliven_narvaro','plan_ej_foljd','informationsoverforing','kostnadstvist','annat'])[1 + c.id % 6],
       c.opened_at + interval '20 days', 'x',
       CASE WHEN c.id % 20 = 0 THEN 'utkast' WHEN c.id % 20 = 4 THEN 'avfardad' ELSE (ARRAY['registrerad','mottagen','eskalerad','avslutad'])[1 + c.id % 4] END,
       c.opened_at + interval '20 days',
       CASE WHEN c.id % 20 NOT IN (0, 4) THEN c.opened_at + interval '21 days' END, NULL,
       c.agreement_id, CASE WHEN c.id % 10 <> 3 THEN c.id END, NULL, NULL,
       CASE WHEN c.id % 20 NOT IN (0, 4) THEN (SELECT l.id FROM agreements_escalationlevel l WHERE l.agreement_id = c.agreement_id ORDER BY l."order" OFFSET c.id % 4 LIMIT 1) END,
       NULL, NULL, c.convening_unit_id
FROM sip_case c WHERE c.id % 15 IN (1, 5, 9, 13);
ANALYZE;
SELECT (SELECT count(*) FROM sip_case) cases, (SELECT count(*) FROM deadlines_deadline) deadlines, (SELECT count(*) FROM sip_meeting) meetings, (SELECT count(*) FROM sip_consent) consents, (SELECT count(*) FROM sip_deviationreport) deviation_reports;
