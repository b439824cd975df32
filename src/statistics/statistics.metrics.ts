import type { MikroORM } from '@mikro-orm/postgresql';
import type { CalendarStore } from '../calendar/calendar.store.js';
import { refreshDeliveryDeadlines, refreshInboxDeadlines } from '../deadlines/deadlines.repository.js';
import type { Metrics } from '../http/metrics.js';
import { vietnamToday } from '../util/vietnam-time.js';
import { allLocalAgencies, openDeadlinesByAgency } from './statistics.repository.js';
import { monthStatistics, type MonthStatistics } from './statistics.service.js';

/** Rows of stored deadlines a snapshot works out at most (the rest wait for the next one, 30 s later). */
const REFRESH_PER_SNAPSHOT = 50_000;

interface Snapshot {
  open: Awaited<ReturnType<typeof openDeadlinesByAgency>>;
  month: MonthStatistics;
}

/**
 * The deadline gauges (issue 18): overdue and due-soon counts per agency, and this month's shares in
 * time. Read into the metrics snapshot (http/metrics.ts: at most every 30 s, never by a scrape): the
 * gauges of one snapshot share one reading, which first works out the stored deadlines still waiting.
 */
export function registerDeadlineGauges(metrics: Metrics, orm: MikroORM, calendar: CalendarStore, clock: () => Date): void {
  let reading: { at: number; snapshot: Promise<Snapshot> } | undefined;
  const read = (): Promise<Snapshot> => {
    // The gauges of one refresh start together; a later refresh reads again.
    if (reading && Date.now() - reading.at < 5_000) return reading.snapshot;
    const snapshot = (async () => {
      const em = orm.em.fork();
      await refreshInboxDeadlines(em, calendar, { max: REFRESH_PER_SNAPSHOT });
      await refreshDeliveryDeadlines(em, calendar, { max: REFRESH_PER_SNAPSHOT });
      const now = clock();
      const open = await openDeadlinesByAgency(em, now);
      const month = await monthStatistics(em, calendar, vietnamToday(now).slice(0, 7), await allLocalAgencies(em), now);
      return { open, month };
    })();
    reading = { at: Date.now(), snapshot };
    return snapshot;
  };

  metrics.gauge('lienthong_deadlines_overdue', 'Inbox items with a deadline passed and not met, per agency and deadline (registration, processing)', ['agency', 'kind'], async (set) => {
    for (const r of (await read()).open) {
      set({ agency: r.agencyCode, kind: 'registration' }, r.registrationOverdue);
      set({ agency: r.agencyCode, kind: 'processing' }, r.processingOverdue);
    }
  });
  metrics.gauge('lienthong_deadlines_due_soon', 'Inbox items with a deadline due within its last working day (last hour when urgent), per agency', ['agency'], async (set) => {
    for (const r of (await read()).open) set({ agency: r.agencyCode }, r.dueSoon);
  });
  metrics.gauge(
    'lienthong_month_documents',
    'Documents of the current month (Vietnam time) per agency: sent (registered out) and received',
    ['agency', 'direction'],
    async (set) => {
      for (const a of (await read()).month.agencies) {
        set({ agency: a.code, direction: 'sent' }, a.sent);
        set({ agency: a.code, direction: 'received' }, a.received);
      }
    },
  );
  metrics.gauge(
    'lienthong_month_in_time_ratio',
    'Share of the documents received this month whose deadline was met in time, of those settled, per agency and deadline (as GET /v1/statistics)',
    ['agency', 'kind'],
    async (set) => {
      for (const a of (await read()).month.agencies) {
        if (a.registration.share !== null) set({ agency: a.code, kind: 'registration' }, a.registration.share);
        if (a.processing.share !== null) set({ agency: a.code, kind: 'processing' }, a.processing.share);
      }
    },
  );
  metrics.gauge('lienthong_month_overdue', 'Overdue deadlines of the documents received this month, per agency (met late included)', ['agency'], async (set) => {
    for (const a of (await read()).month.agencies) set({ agency: a.code }, a.overdue.count);
  });
}
