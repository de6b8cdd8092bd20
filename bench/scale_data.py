"""The province-size database of bench/scale.py, written by SQL only (no ORM per row).

One province, 3 cities, 30 counties × 15 townships × 12 villages (5,400 villages); staff for
every area; residents, one current plan each with 3 items and 5 deliveries, cases with their
SLA state, ratings, notifications and audit events, all by `INSERT … SELECT generate_series`.
Every time is relative to the build's reference moment `T` (kept in `bench.info`), so a database
reused days later still has exactly the cases the sweep bench picks due at `T` and no others.
The secondary indexes of the large tables are dropped for the load and built again after it,
with foreign-key triggers off (`session_replication_role = replica`): the rows are consistent by
construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

CITIES, COUNTIES_PER_CITY, TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 3, 10, 15, 12
ZONE = "Asia/Shanghai"
PASSWORD = "bench-scale-password-1"  # noqa: S105 - the bench accounts' known password
TOTP_SECRET = "BENCHSCALEBENCHSCALEBENCHSCALE22"  # noqa: S105 - the bench accounts' TOTP key


@dataclass(frozen=True)
class Size:
    name: str
    residents: int
    cases: int

    @property
    def plan_items(self) -> int:
        return self.residents * 3

    @property
    def deliveries(self) -> int:
        return self.residents * 5


SIZES = {
    "100k": Size("100k", 100_000, 100_000),
    "1m": Size("1m", 1_000_000, 1_000_000),
}

#: The large tables whose secondary indexes are dropped during the load.
BULK_TABLES = (
    "resident",
    "plan",
    "plan_item",
    "delivery",
    "case_file",
    "case_event",
    "sla_mark",
    "rating",
    "notification",
    "audit_event",
)


def _areas(c: Connection) -> None:
    c.execute(
        text(
            "INSERT INTO area (code, name_zh, name_en, level, valid_from)"
            " VALUES ('510000000000', '示范省', 'Example Province', 'province', '2000-01-01')"
        )
    )
    c.execute(
        text(f"""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from)
        SELECT '51' || lpad(i::text, 2, '0') || '00000000', '示范市' || i, 'City ' || i,
               'city', p.id, '2000-01-01'
        FROM generate_series(1, {CITIES}) i, area p WHERE p.level = 'province'""")
    )
    c.execute(
        text(f"""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from, service_phone)
        SELECT left(p.code, 4) || lpad(i::text, 2, '0') || '000000',
               p.name_zh || '第' || i || '县', p.name_en || ' County ' || i,
               'county', p.id, '2000-01-01', '028-' || lpad((p.id * 100 + i)::text, 8, '0')
        FROM area p, generate_series(1, {COUNTIES_PER_CITY}) i WHERE p.level = 'city'""")
    )
    c.execute(
        text(f"""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from)
        SELECT left(p.code, 6) || (100 + i)::text || '000',
               p.name_zh || '第' || i || '镇', p.name_en || ' Township ' || i,
               'township', p.id, '2000-01-01'
        FROM area p, generate_series(1, {TOWNSHIPS_PER_COUNTY}) i WHERE p.level = 'county'""")
    )
    c.execute(
        text(f"""
        INSERT INTO area (code, name_zh, name_en, level, parent_id, valid_from)
        SELECT left(p.code, 9) || (200 + i)::text,
               p.name_zh || '第' || i || '村', p.name_en || ' Village ' || i,
               'village', p.id, '2000-01-01'
        FROM area p, generate_series(1, {VILLAGES_PER_TOWNSHIP}) i WHERE p.level = 'township'""")
    )
    c.execute(
        text("""
        CREATE TABLE bench.village AS
        SELECT (row_number() OVER (ORDER BY v.id) - 1)::int AS idx, v.id,
               v.parent_id AS township_id,
               t.parent_id AS county_id, NULL::int AS worker_id
        FROM area v JOIN area t ON t.id = v.parent_id WHERE v.level = 'village'""")
    )
    c.execute(text("CREATE UNIQUE INDEX ON bench.village (idx)"))
    c.execute(text("CREATE UNIQUE INDEX ON bench.village (id)"))


def _staff(c: Connection, password_hash: str, totp: str, t: datetime) -> None:
    """A worker per village, 1–2 officers per township, 2 staff and a supervisor per county,
    3 administrators; staff phones +86139…, residents' +86138…"""
    params = {"hash": password_hash, "totp": totp, "t": t}
    common = "language, active, session_version, created_at, password_hash"
    c.execute(
        text(f"""
        INSERT INTO user_account (phone, name, role, area_id, {common})
        SELECT '+86139' || lpad(row_number() OVER (ORDER BY a.id)::text, 8, '0'),
               '村工作人员' || a.id, 'village_worker', a.id, 'zh_CN', true, 1,
               :t - interval '400 days', :hash
        FROM area a WHERE a.level = 'village'"""),
        params,
    )
    c.execute(
        text(f"""
        INSERT INTO user_account (phone, name, role, area_id, {common})
        SELECT '+861391' || lpad((row_number() OVER (ORDER BY a.id, n))::text, 7, '0'),
               '乡镇专干' || a.id || '-' || n, 'township_officer', a.id, 'zh_CN', true, 1,
               :t - interval '400 days', :hash
        FROM area a, generate_series(1, 2) n
        WHERE a.level = 'township' AND (n = 1 OR a.id % 3 = 0)"""),
        params,
    )
    c.execute(
        text(f"""
        INSERT INTO user_account (phone, name, role, area_id, {common},
                                  totp_secret, totp_confirmed_at)
        SELECT '+861392' || lpad((row_number() OVER (ORDER BY r.ord, a.id, n))::text, 7, '0'),
               r.label || a.id || '-' || n, r.role, a.id, 'zh_CN', true, 1,
               :t - interval '400 days', :hash, :totp, :t - interval '300 days'
        FROM area a,
             (VALUES (1, 'county_staff', '县残联工作人员', 2),
                     (2, 'supervisor', '县督查员', 1)) AS r(ord, role, label, per),
             generate_series(1, 2) n
        WHERE a.level = 'county' AND n <= r.per"""),
        params,
    )
    c.execute(
        text(f"""
        INSERT INTO user_account (phone, name, role, area_id, {common},
                                  totp_secret, totp_confirmed_at)
        SELECT '+861393' || lpad(n::text, 7, '0'), '省管理员' || n, 'admin', p.id, 'zh_CN',
               true, 1, :t - interval '400 days', :hash, :totp, :t - interval '300 days'
        FROM area p, generate_series(1, 3) n WHERE p.level = 'province'"""),
        params,
    )
    c.execute(
        text("""
        UPDATE bench.village v SET worker_id = u.id FROM user_account u
        WHERE u.area_id = v.id AND u.role = 'village_worker'""")
    )


def _residents(c: Connection, size: Size, t: datetime) -> None:
    # Shares of certified disability categories (physical the most common), levels 1–4.
    c.execute(
        text(f"""
        INSERT INTO resident (name, birth_date, sex, disability_category, disability_level,
            area_id, address, phone, language, channel, quiet_hours_start, quiet_hours_end,
            large_text, high_contrast, read_aloud, created_at, pin_failures, id_number_masked)
        SELECT '居民' || g,
               (:t)::date - (power(random(), 0.7) * 95 * 365.25)::int,
               CASE WHEN random() < 0.52 THEN 'M' ELSE 'F' END,
               cat, CASE WHEN lv < 0.12 THEN 1 WHEN lv < 0.35 THEN 2 WHEN lv < 0.65 THEN 3
                         ELSE 4 END,
               v.id, '示范路' || (g % 300) || '号', '+86138' || lpad(g::text, 8, '0'),
               CASE WHEN g % 40 = 0 THEN 'en' ELSE 'zh_CN' END,
               CASE WHEN cat = 1 AND g % 3 > 0 THEN 'voice' WHEN g % 25 = 0 THEN 'both'
                    ELSE 'sms' END,
               '21:00', '08:00', cat = 1 AND g % 4 = 0, false, cat = 1 AND g % 2 = 0,
               :t - (random() * 1500) * interval '1 day', 0,
               '5101**********' || lpad((g % 10000)::text, 4, '0')
        FROM (
            SELECT g, random() AS lv,
                   CASE WHEN rc < 0.36 THEN 4 WHEN rc < 0.52 THEN 2 WHEN rc < 0.66 THEN 1
                        WHEN rc < 0.78 THEN 5 WHEN rc < 0.89 THEN 6 WHEN rc < 0.97 THEN 7
                        ELSE 3 END AS cat,
                   -- villages differ in size: a power of a uniform number skews them
                   floor(power(random(), 1.15) * {
            VILLAGES_PER_TOWNSHIP * TOWNSHIPS_PER_COUNTY * COUNTIES_PER_CITY * CITIES
        })::int AS vi
            FROM (SELECT g, random() AS rc FROM generate_series(1, {size.residents}) g) s
        ) r JOIN bench.village v ON v.idx = r.vi"""),
        {"t": t},
    )


def _plans(c: Connection, t: datetime) -> None:
    c.execute(
        text("""
        INSERT INTO plan (resident_id, year, version, is_current, status, created_by_id,
                          created_at, agreed_at, agreement_method, approved_at, submitted_at)
        SELECT r.id, extract(year FROM :t)::int, 1, true, s.status, v.worker_id, s.made,
               CASE WHEN s.status IN ('active', 'awaiting_approval') THEN s.made + interval '3 days'
               END,
               CASE WHEN s.status IN ('active', 'awaiting_approval') THEN 'web' END,
               CASE WHEN s.status = 'active' THEN s.made + interval '6 days' END,
               CASE WHEN s.status <> 'draft' THEN s.made + interval '1 day' END
        FROM resident r JOIN bench.village v ON v.id = r.area_id,
        LATERAL (SELECT CASE WHEN x < 0.88 THEN 'active' WHEN x < 0.93 THEN 'awaiting_approval'
                             WHEN x < 0.97 THEN 'awaiting_agreement' ELSE 'draft' END AS status,
                        date_trunc('year', :t) + (x * 60) * interval '1 day' AS made
                 FROM (SELECT random() + r.id * 0 AS x) q) s
        ORDER BY r.id"""),
        {"t": t},
    )


def _plan_items(c: Connection) -> None:
    # The first item is the one the coverage targets measure for the resident's category.
    c.execute(
        text("""
        WITH items AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM need_item),
             target AS (SELECT code, id FROM need_item)
        INSERT INTO plan_item (plan_id, part, need_item_id, description, responsible,
                               planned_by, status, not_delivered_reason)
        SELECT p.id, CASE WHEN j < 3 THEN 'assistance' ELSE 'development' END,
               COALESCE(CASE WHEN j = 1 THEN (SELECT id FROM target WHERE code = CASE
                   r.disability_category WHEN 1 THEN 'REHAB.VIS.OM' WHEN 2 THEN 'REHAB.HEAR.AVT'
                   WHEN 4 THEN 'ACC.WHEELCHAIR' WHEN 6 THEN 'REHAB.MENT.MED' END) END,
                   items.ids[1 + (p.id * 7 + j * 31) % items.n]),
               '按需提供服务', '乡镇残联', make_date(p.year, 12, 31),
               CASE WHEN (p.id + j) % 20 = 0 THEN 'not_delivered'
                    WHEN (p.id * 3 + j) % 5 < 3 THEN 'delivered' ELSE 'planned' END,
               CASE WHEN (p.id + j) % 20 = 0 THEN '本人暂不需要' END
        FROM plan p JOIN resident r ON r.id = p.resident_id, items, generate_series(1, 3) j
        ORDER BY p.id, j""")
    )


def _deliveries(c: Connection, t: datetime) -> None:
    # Five per resident over the last two years: two for each assistance item, one development.
    c.execute(
        text("""
        INSERT INTO delivery (plan_item_id, delivered_on, responsible, project_name, funds_yuan,
                              equipment, equipment_quantity, equipment_unit, measures, effect,
                              created_at)
        SELECT i.id, d.day, '乡镇残联', '残疾人基本服务项目', round((random() * 3000)::numeric, 2),
               CASE WHEN i.id % 4 = 0 THEN '康复器材' END,
               CASE WHEN i.id % 4 = 0 THEN 1 END, CASE WHEN i.id % 4 = 0 THEN '台' END,
               '上门服务', '服务对象满意', d.day + time '16:00'
        FROM plan_item i,
             LATERAL (SELECT (:t)::date - (random() * 730)::int + i.id * 0 AS day,
                             n FROM generate_series(1, 2) n) d
        WHERE d.n = 1 OR i.part = 'assistance'"""),
        {"t": t},
    )


def _cases(c: Connection, size: Size, t: datetime) -> None:
    """Cases with deadlines at 17:30 local from 30 days past to 20 ahead (open ones), SLA marks
    for the warnings and escalations already reached at T, and the next check after T."""
    c.execute(
        text(f"""
        CREATE TABLE bench.case_src AS
        SELECT s.*, r.id AS resident_id, r.area_id,
               CASE type WHEN 'urgent' THEN 1 WHEN 'consultation' THEN 3 WHEN 'correction' THEN 7
                    WHEN 'petition' THEN 60 WHEN 'complaint' THEN 21 WHEN 'report' THEN 21
                    WHEN 'follow_up' THEN 21 ELSE 14 END AS days_allowed
        FROM (
            SELECT g, random() AS r_due, random() AS r_resp, random() AS r_chan,
                   random() AS r_assign, random() AS r_hours,
                   CASE WHEN x < 0.15 THEN 'new' WHEN x < 0.70 THEN 'in_progress'
                        WHEN x < 0.85 THEN 'waiting' WHEN x < 0.90 THEN 'resolved'
                        WHEN x < 0.99 THEN 'closed' ELSE 'withdrawn' END AS status,
                   CASE WHEN y < 0.30 THEN 'need' WHEN y < 0.45 THEN 'consultation'
                        WHEN y < 0.60 THEN 'help' WHEN y < 0.72 THEN 'complaint'
                        WHEN y < 0.78 THEN 'suggestion' WHEN y < 0.86 THEN 'correction'
                        WHEN y < 0.88 THEN 'urgent' WHEN y < 0.91 THEN 'report'
                        WHEN y < 0.95 THEN 'petition' ELSE 'follow_up' END AS type,
                   floor(random() * {size.residents})::int AS ri
            FROM (SELECT g, random() AS x, random() AS y
                  FROM generate_series(1, {size.cases}) g) q
        ) s JOIN (SELECT id, area_id, (row_number() OVER (ORDER BY id) - 1)::int AS ri
                  FROM resident) r ON r.ri = s.ri""")
    )
    # Deadline day: open cases from T-30 to T+20 days (never so far ahead that the case would
    # be filed after T), finished ones earlier; weekends move to a working day.
    c.execute(
        text(f"""
        CREATE TABLE bench.case_times AS
        SELECT g, due,
               CASE WHEN type = 'urgent' THEN due - interval '24 hours'
                    ELSE due - days_allowed * interval '1 day' - r_hours * interval '8 hours'
               END AS created
        FROM (
            SELECT g, type, days_allowed, r_hours,
                   CASE WHEN type = 'urgent' THEN
                       ((day + time '09:00') AT TIME ZONE '{ZONE}') + r_hours * interval '8 hours'
                   ELSE (day + time '17:30') AT TIME ZONE '{ZONE}' END AS due
            FROM (
                SELECT g, type, days_allowed, r_hours,
                       d + CASE extract(isodow FROM d) WHEN 6 THEN -1 WHEN 7 THEN 1 ELSE 0 END
                       AS day
                FROM (
                    SELECT g, type, days_allowed, r_hours,
                           ((:t) AT TIME ZONE '{ZONE}')::date + CASE
                               WHEN status IN ('new', 'in_progress', 'waiting') THEN
                                   -30 + floor(r_due * (31 + least(20, days_allowed - 2)))::int
                               ELSE -700 + floor(r_due * 660)::int END AS d
                    FROM bench.case_src) a
            ) b
        ) c"""),
        {"t": t},
    )
    c.execute(text("CREATE UNIQUE INDEX ON bench.case_times (g)"))
    c.execute(
        text(f"""
        INSERT INTO case_file (id, reference, type, status, resident_id, area_id, channel,
            need_item_id, description, contact_time, language, assignee_id, escalation_level,
            escalated_to_area_id, urgent, reopen_count, extensions_used, clock_started_at,
            first_response_due_at, resolve_due_at, current_due_at, current_warn_at,
            next_sla_check_at, first_responded_at, resolved_at, closed_at, calendar_unknown,
            created_at)
        SELECT id, to_char(created AT TIME ZONE '{ZONE}', 'YYMM') || lpad(id::text, 7, '0'),
               type, status, resident_id, area_id, channel, need_item_id, description, NULL,
               'zh_CN', assignee_id, 0, NULL, type = 'urgent', 0, 0, created, frd, due,
               CASE WHEN responded IS NULL AND status <> 'waiting' THEN frd
                    WHEN status IN ('new', 'in_progress', 'waiting') THEN due END,
               CASE WHEN responded IS NULL AND status <> 'waiting'
                        THEN created + (frd - created) * 2 / 3
                    WHEN status IN ('new', 'in_progress', 'waiting')
                        THEN created + (due - created) * 2 / 3 END,
               NULL, responded, resolved, closed, false, created
        FROM (
            SELECT nextval('case_file_id_seq') AS id, s.*, tm.created, tm.due,
                   CASE WHEN s.type = 'urgent' THEN tm.created + interval '2 hours'
                        WHEN s.type = 'petition' THEN tm.created + interval '15 days'
                        ELSE (((tm.created AT TIME ZONE '{ZONE}')::date + 1) + time '17:30')
                             AT TIME ZONE '{ZONE}' END AS frd,
                   CASE WHEN s.status = 'new' THEN NULL
                        ELSE least(tm.created + s.r_resp * interval '30 hours',
                                   :t - interval '1 minute') END AS responded,
                   CASE WHEN s.status = 'resolved'
                            THEN :t - (1 + s.r_resp * 13) * interval '1 day'
                        WHEN s.status = 'closed'
                            THEN least(tm.due, :t) - s.r_resp * interval '5 days' END AS resolved,
                   CASE WHEN s.status = 'closed' THEN least(tm.due, :t) + interval '16 days'
                        WHEN s.status = 'withdrawn' THEN tm.created + interval '2 days'
                   END AS closed,
                   CASE WHEN s.r_chan < 0.40 THEN 'web' WHEN s.r_chan < 0.60 THEN 'sms'
                        WHEN s.r_chan < 0.70 THEN 'voice' WHEN s.r_chan < 0.90 THEN 'hotline'
                        ELSE 'in_person' END AS channel,
                   CASE WHEN s.type = 'need' THEN (SELECT min(id) FROM need_item) + s.g % 140
                   END AS need_item_id,
                   CASE WHEN s.status <> 'new' AND s.r_assign < 0.6 THEN v.worker_id
                   END AS assignee_id,
                   CASE s.type WHEN 'need' THEN '需要上门康复服务，请尽快联系。'
                        WHEN 'complaint' THEN '补贴没有按时发放，多次询问没有答复。'
                        WHEN 'consultation' THEN '想了解残疾人两项补贴的申请条件。'
                        ELSE '请帮助解决生活中遇到的困难。' END AS description
            FROM bench.case_src s JOIN bench.case_times tm ON tm.g = s.g
            JOIN bench.village v ON v.id = s.area_id
            ORDER BY s.g
        ) x"""),
        {"t": t},
    )
    # A resolved case can be reopened for 15 days, then closes: its next check is then.
    c.execute(
        text(f"""
        UPDATE case_file SET
            first_response_due_at = least(first_response_due_at, resolve_due_at),
            next_sla_check_at = CASE WHEN status = 'resolved' THEN
                (((resolved_at AT TIME ZONE '{ZONE}')::date + 16) + time '00:00')
                AT TIME ZONE '{ZONE}' END
        WHERE type = 'urgent' OR status = 'resolved'""")
    )


def _sla_marks(c: Connection, t: datetime) -> None:
    """The marks the sweep would have written by T, the levels it reached escalated, and the
    next check: the earliest mark still ahead (the second escalation ≈ 7 days after the due)."""
    c.execute(
        text("""
        CREATE TABLE bench.clock AS
        SELECT c.id AS case_id, k.clock, k.level, k.at
        FROM case_file c,
        LATERAL (VALUES
            ('first_response', 'warning',
             CASE WHEN c.first_responded_at IS NULL
                  THEN c.created_at + (c.first_response_due_at - c.created_at) * 2 / 3 END),
            ('first_response', 'escalated_1',
             CASE WHEN c.first_responded_at IS NULL THEN c.first_response_due_at END),
            ('first_response', 'escalated_2',
             CASE WHEN c.first_responded_at IS NULL
                  THEN c.first_response_due_at + interval '7 days' END),
            ('resolution', 'warning', c.created_at + (c.resolve_due_at - c.created_at) * 2 / 3),
            ('resolution', 'escalated_1', c.resolve_due_at),
            ('resolution', 'escalated_2', c.resolve_due_at + interval '7 days')
        ) AS k(clock, level, at)
        WHERE c.status IN ('new', 'in_progress') AND k.at IS NOT NULL""")
    )
    c.execute(
        text("""
        INSERT INTO sla_mark (case_id, clock, level, superseded, created_at)
        SELECT case_id, clock, level, false, at FROM bench.clock WHERE at <= :t
        ORDER BY case_id"""),
        {"t": t},
    )
    c.execute(
        text("""
        UPDATE case_file c SET next_sla_check_at = n.next_at,
               escalation_level = n.level,
               escalated_to_area_id = CASE n.level WHEN 0 THEN NULL
                   WHEN 1 THEN v.township_id ELSE v.county_id END
        FROM (SELECT case_id, min(at) FILTER (WHERE at > :t) AS next_at,
                     least(2, count(*) FILTER (WHERE at <= :t AND level <> 'warning'))::int
                     AS level
              FROM bench.clock GROUP BY case_id) n, bench.village v
        WHERE c.id = n.case_id AND v.id = c.area_id"""),
        {"t": t},
    )


def _case_events(c: Connection) -> None:
    c.execute(
        text("""
        INSERT INTO case_event (case_id, kind, actor_id, public, body, data, created_at)
        SELECT id, 'created', NULL, true, description, '{}', created_at FROM case_file
        ORDER BY id""")
    )
    c.execute(
        text("""
        INSERT INTO case_event (case_id, kind, actor_id, public, body, data, created_at)
        SELECT c.id, 'public_reply', v.worker_id, true, '已收到，我们会尽快处理。', '{}',
               c.first_responded_at
        FROM case_file c JOIN bench.village v ON v.id = c.area_id
        WHERE c.first_responded_at IS NOT NULL ORDER BY c.id""")
    )
    c.execute(
        text("""
        INSERT INTO case_event (case_id, kind, actor_id, public, body, data, created_at)
        SELECT c.id, 'status_changed', v.worker_id, true, NULL,
               json_build_object('from', 'in_progress', 'to', 'resolved'), c.resolved_at
        FROM case_file c JOIN bench.village v ON v.id = c.area_id
        WHERE c.resolved_at IS NOT NULL ORDER BY c.id""")
    )


def _ratings(c: Connection, t: datetime) -> None:
    c.execute(
        text("""
        INSERT INTO rating (resident_id, case_id, level, given_as, channel, created_at)
        SELECT resident_id, id,
               CASE WHEN id % 10 < 7 THEN 'satisfied' WHEN id % 10 < 9 THEN 'basic'
                    ELSE 'dissatisfied' END,
               'resident', CASE WHEN id % 3 = 0 THEN 'sms' ELSE 'web' END,
               resolved_at + interval '1 day'
        FROM case_file WHERE resolved_at IS NOT NULL AND id % 5 < 3""")
    )
    c.execute(
        text("""
        INSERT INTO rating (resident_id, delivery_id, level, given_as, channel, created_at)
        SELECT p.resident_id, d.id,
               CASE WHEN d.id % 10 < 8 THEN 'satisfied' WHEN d.id % 10 < 9 THEN 'basic'
                    ELSE 'dissatisfied' END, 'resident', 'web', d.created_at + interval '2 days'
        FROM delivery d JOIN plan_item i ON i.id = d.plan_item_id JOIN plan p ON p.id = i.plan_id
        WHERE d.id % 50 = 0""")
    )
    c.execute(
        text("""
        INSERT INTO rating (resident_id, plan_id, level, given_as, channel, created_at)
        SELECT resident_id, id, CASE WHEN id % 10 < 8 THEN 'satisfied' ELSE 'basic' END,
               'resident', 'web', least(approved_at + interval '10 days', :t)
        FROM plan WHERE status = 'active' AND id % 20 = 0"""),
        {"t": t},
    )


def _notifications(c: Connection) -> None:
    # The acknowledgement of each case filed in the last 120 days, mostly delivered.
    c.execute(
        text("""
        INSERT INTO notification (dedupe_key, resident_id, case_id, channel, to_phone, template,
            params, language, status, provider, provider_ref, body, attempts, sent_at,
            delivered_at, skip_reason, status_at, created_at, override_quiet_hours)
        SELECT 'case_ack:' || c.id, c.resident_id, c.id,
               CASE WHEN r.channel = 'voice' THEN 'voice' ELSE 'sms' END, r.phone, 'case_ack',
               json_build_object('reference', c.reference, 'case_type', c.type),
               r.language, s.status, CASE WHEN s.status <> 'skipped' THEN 'console' END,
               CASE WHEN s.status <> 'skipped' THEN 'CON' || c.id END,
               '您的事项已受理，编号' || c.reference, 1,
               CASE WHEN s.status <> 'skipped' THEN c.created_at + interval '5 seconds' END,
               CASE WHEN s.status = 'delivered' THEN c.created_at + interval '20 seconds' END,
               CASE WHEN s.status = 'skipped' THEN 'opted_out' END,
               c.created_at + interval '20 seconds', c.created_at, false
        FROM case_file c JOIN resident r ON r.id = c.resident_id,
        LATERAL (SELECT CASE WHEN c.id % 50 = 0 THEN 'failed' WHEN c.id % 97 = 0 THEN 'skipped'
                             ELSE 'delivered' END AS status) s
        WHERE c.created_at > (SELECT max(created_at) FROM case_file) - interval '120 days'
        ORDER BY c.id""")
    )


def _audit(c: Connection, size: Size, t: datetime) -> None:
    # Staff reads of residents' records over the last 90 days, and staff sign-ins.
    c.execute(
        text(f"""
        INSERT INTO audit_event (actor_id, action, resident_id, object_type, object_id,
                                 ip_address, data, created_at)
        SELECT v.worker_id, 'resident.view', r.id, 'resident', r.id, '10.0.0.' || (g % 250),
               '{{}}', :t - random() * interval '90 days'
        FROM generate_series(1, {size.residents // 5}) g
        JOIN resident r ON r.id = (SELECT min(id) FROM resident) + (g * 7919) % {size.residents}
        JOIN bench.village v ON v.id = r.area_id"""),
        {"t": t},
    )
    c.execute(
        text("""
        INSERT INTO audit_event (actor_id, action, object_type, object_id, ip_address, data,
                                 created_at)
        SELECT u.id, 'sign_in.succeeded', 'user', u.id, '10.0.1.' || (u.id % 250),
               json_build_object('method', 'password'), :t - n * interval '1 day'
        FROM user_account u, generate_series(1, 20) n
        WHERE u.role <> 'resident'"""),
        {"t": t},
    )


def _bench_resident(c: Connection, password_hash: str, t: datetime) -> None:
    """A resident account (password sign-in) for a resident with cases and a plan."""
    c.execute(
        text("""
        INSERT INTO user_account (phone, name, role, resident_id, language, active,
                                  session_version, created_at, password_hash)
        SELECT r.phone, r.name, 'resident', r.id, 'zh_CN', true, 1, :t - interval '300 days',
               :hash
        FROM resident r WHERE r.id = (
            SELECT c.resident_id FROM case_file c JOIN bench.village v ON v.id = c.area_id
            WHERE v.idx < 12 AND c.status = 'in_progress' ORDER BY c.id LIMIT 1)"""),
        {"t": t, "hash": password_hash},
    )


def _secondary_indexes(c: Connection) -> list[str]:
    """Drop the large tables' non-primary indexes and unique constraints; return how to
    build them again."""
    rows = c.execute(
        text("""
        SELECT i.indexrelid::regclass::text AS name, t.relname AS tbl,
               pg_get_indexdef(i.indexrelid) AS def, con.conname, con.contype,
               pg_get_constraintdef(con.oid) AS condef
        FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
        LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = t.oid
        WHERE t.relname = ANY(:tables) AND NOT i.indisprimary
          AND t.relnamespace = 'public'::regnamespace"""),
        {"tables": list(BULK_TABLES)},
    ).all()
    rebuild = []
    for name, table, definition, constraint, kind, condef in rows:
        if constraint is not None and kind == "u":
            c.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"'))
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {condef}')
        else:
            c.execute(text(f"DROP INDEX {name}"))
            rebuild.append(definition)
    return rebuild


def build(
    c: Connection,
    size: Size,
    t: datetime,
    *,
    password_hash: str,
    totp_encrypted: str,
    say: Callable[[str], None],
) -> dict[str, float]:
    """Fill the migrated, seeded database on connection `c` (in its own transaction)."""
    timings: dict[str, float] = {}

    def step(label: str, action: Callable[[], None]) -> None:
        started = time.perf_counter()
        action()
        timings[label] = time.perf_counter() - started
        say(f"  {label}: {timings[label]:.1f} s")

    c.execute(text("SET session_replication_role = replica"))
    c.execute(text("SET maintenance_work_mem = '512MB'"))
    c.execute(text("SET work_mem = '64MB'"))
    c.execute(text("SET synchronous_commit = off"))
    c.execute(text("SELECT setseed(0.42)"))
    c.execute(text("CREATE SCHEMA IF NOT EXISTS bench"))
    rebuild: list[str] = []
    step("drop indexes", lambda: rebuild.extend(_secondary_indexes(c)))
    step("area", lambda: _areas(c))
    step("user_account (staff)", lambda: _staff(c, password_hash, totp_encrypted, t))
    step("resident", lambda: _residents(c, size, t))
    step("plan", lambda: _plans(c, t))
    step("plan_item", lambda: _plan_items(c))
    step("delivery", lambda: _deliveries(c, t))
    step("case_file", lambda: _cases(c, size, t))
    step("sla_mark", lambda: _sla_marks(c, t))
    step("case_event", lambda: _case_events(c))
    step("rating", lambda: _ratings(c, t))
    step("notification", lambda: _notifications(c))
    step("audit_event", lambda: _audit(c, size, t))
    step("user_account (resident)", lambda: _bench_resident(c, password_hash, t))

    def indexes() -> None:
        for statement in rebuild:
            c.execute(text(statement))

    step("indexes", indexes)
    c.execute(text("DROP TABLE bench.case_src, bench.case_times, bench.clock"))
    c.execute(text("SET session_replication_role = origin"))
    return timings
