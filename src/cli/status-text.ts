/**
 * The status report as terminal text (`fortiflex-scaler status`): per rule and pool desired vs actual, next
 * transitions, last action and error per entitlement, Pacific days and points saved this month (audit), and
 * the 30-day forecast. Pure: the same report prints the same text.
 */
import { ptTime, relative, utcTime, zoneTime } from '../lib/views/format';
import type { StatusReport } from '../lib/views/status-model';
import { formatTable } from './io';

/** Renders `report` as text. */
export function formatStatusText(report: StatusReport): string {
  const out: string[] = [];
  const narrowed = report.filter
    ? ` (narrowed to ${[report.filter.rule && `rule ${report.filter.rule}`, report.filter.pool && `pool ${report.filter.pool}`].filter(Boolean).join(' and ')})`
    : '';
  out.push(
    `Status at ${ptTime(report.at)} (${utcTime(report.at)}), mode ${report.mode}${report.dryRun ? ', dry run: nothing is changed' : ''}${narrowed}\n`,
  );
  for (const rule of report.rules) {
    const zone = rule.timezone ?? 'UTC';
    const state =
      rule.activeNow === undefined
        ? 'schedule not defined'
        : rule.activeNow
          ? 'business hours now'
          : 'off-hours now';
    const next = rule.nextTransitions
      .map((t) => `${t.active ? 'active' : 'inactive'} ${zoneTime(t.at, zone)}`)
      .join(', ');
    out.push(
      `\nrule ${rule.name} (schedule ${rule.schedule}, ${rule.timezone ?? 'no zone'}): ${state}${next ? `; next: ${next}` : ''}\n`,
    );
    out.push(
      `  ${rule.counts.selected} selected, ${rule.counts.inDesiredState} in desired state, ${rule.counts.pending} to change by the next run\n`,
    );
    if (rule.entitlements.length === 0) continue;
    const withVm = rule.entitlements.some((e) => e.vm !== undefined);
    out.push(
      formatTable(
        rule.entitlements.map((e) => ({
          serialNumber: e.serialNumber,
          actual: e.actual,
          desired: e.desired,
          next: e.pendingAction ?? '',
          lastAction: e.lastAction ?? '',
          lastActionAt: e.lastActionAt
            ? `${zoneTime(e.lastActionAt, zone)} (${relative(e.lastActionAt, report.at)})`
            : '',
          lastError: e.lastError ?? '',
          ...(withVm && { vm: e.vm ? `${e.vm.name} ${e.vm.powerState}` : '' }),
        })),
        [
          'serialNumber',
          'actual',
          'desired',
          'next',
          'lastAction',
          'lastActionAt',
          'lastError',
          ...(withVm ? ['vm'] : []),
        ],
      ),
    );
  }
  for (const pool of report.pools) {
    if (pool.error !== undefined) {
      out.push(`\npool ${pool.name}: could not be read: ${pool.error}\n`);
      continue;
    }
    out.push(
      `\npool ${pool.name}: size ${pool.size} (min ${pool.bounds.min}, max ${pool.bounds.max}${pool.bounds.schedule ? `, while ${pool.bounds.schedule}` : ''}), ` +
        `${pool.claimed} claimed, ${pool.inUseOutsideClaims} in use outside claims, ${pool.active} active, ` +
        `${pool.pendingDeliveries.length} pending deliveries\n`,
    );
    if (pool.members.length > 0) {
      out.push(
        formatTable(
          pool.members.map((m) => ({
            serialNumber: m.serialNumber,
            status: m.status,
            role: m.role,
            instanceId: m.instanceId ?? '',
            releaseDueAt: m.releaseDueAt ? ptTime(m.releaseDueAt) : '',
            lastAction: m.lastAction ?? '',
            lastError: m.lastError ?? '',
          })),
          ['serialNumber', 'status', 'role', 'instanceId', 'releaseDueAt', 'lastAction', 'lastError'],
        ),
      );
    }
    for (const d of pool.pendingDeliveries) {
      out.push(
        `  delivery ${d.serialNumber} to ${d.instanceId}: ${d.stage} since ${ptTime(d.since)}, ${d.attempts} attempt(s)${d.overdue ? ', OVERDUE' : ''}${d.lastError ? `: ${d.lastError}` : ''}\n`,
      );
    }
  }
  const m = report.thisMonth;
  out.push(
    `\nSaved this month (since ${ptTime(m.from)}, from the audit): ${m.ptDaysSaved} Pacific day(s), ${m.pointsSaved} points, ${m.actions} action(s)\n`,
  );
  const f = report.forecast;
  out.push(
    `Forecast ${ptTime(f.from)} – ${ptTime(f.to)}: ${f.entitlementDaysSaved} entitlement-day(s), ${f.pointsSaved} points\n`,
  );
  if (f.rules.length > 0) {
    out.push(formatTable(f.rules, ['rule', 'entitlements', 'ptDaysSaved', 'pointsSaved']));
  }
  for (const advice of f.advice) out.push(`advice: ${advice.rule}: ${advice.message}\n`);
  for (const note of [...f.notes, ...report.notes]) out.push(`note: ${note}\n`);
  for (const error of report.errors) {
    out.push(
      `error: ${error.stage}${error.serialNumber ? ` ${error.serialNumber}` : ''}: ${error.message}\n`,
    );
  }
  return out.join('');
}
