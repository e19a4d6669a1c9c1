/**
 * The dashboard's tables: pools, errors, last actions, each rule's entitlements and each pool's members and
 * deliveries. Every value goes through the `html` tag (escaped); tokens are never part of the view model.
 */
import { html, type SafeHtml } from './html';
import { plural, relative, utcTime, zoneTime } from './format';
import { powerClass, statusClass } from './dashboard-timeline';
import type { EntitlementVm, PoolStatus, RuleStatus, StatusReport } from './status-model';

/** Last actions listed in the table; the rule and pool sections list every entitlement. */
export const LAST_ACTIONS_SHOWN = 20;

/** A horizontally scrollable, keyboard-focusable wrapper (tables wider than a phone). */
export function scroller(label: string, content: SafeHtml): SafeHtml {
  return html`<div class="scroll" tabindex="0" role="region" aria-label="${label}">${content}</div>`;
}

/** A coloured status chip. */
export function chip(text: string, cls: string): SafeHtml {
  return html`<span class="chip ${cls}">${text}</span>`;
}

function when(iso: string | undefined, now: string, zone = 'UTC'): SafeHtml | string {
  if (iso === undefined) return '';
  return html`<time datetime="${iso}" title="${utcTime(iso)}"
      >${zone === 'UTC' ? utcTime(iso) : zoneTime(iso, zone)}</time
    >
    <span class="muted">(${relative(iso, now)})</span>`;
}

function vmCell(vm: EntitlementVm | undefined): SafeHtml | string {
  if (!vm) return '';
  return html`${vm.name}
  ${chip(vm.powerState, powerClass(vm.powerState))}${vm.pendingAction ? html` <span class="muted">${vm.pendingAction} sent</span>` : ''}${vm.hoursThisMonth !== undefined ? html` <span class="muted">${vm.hoursThisMonth} h this month</span>` : ''}`;
}

/** The pools overview: one row per pool. */
export function poolsTable(pools: readonly PoolStatus[]): SafeHtml {
  const rows = pools.map(
    (p) =>
      html`<tr data-pool="${p.name}">
        <th scope="row">${p.name}</th>
        <td class="num">${p.size}</td>
        <td>
          ${p.bounds.min}–${p.bounds.max}${p.bounds.schedule ? html` <span class="muted">(${p.bounds.schedule})</span>` : ''}
        </td>
        <td class="num">${p.claimed}</td>
        <td class="num">${p.inUseOutsideClaims}</td>
        <td class="num">${p.active}</td>
        <td class="num">
          ${p.pendingDeliveries.length}${p.pendingDeliveries.some((d) => d.overdue) ? html` <span class="err">(overdue)</span>` : ''}
        </td>
        <td>${p.error !== undefined ? html`<span class="err">${p.error}</span>` : 'ok'}</td>
      </tr>`,
  );
  return scroller(
    'Pools',
    html`<table>
      <thead>
        <tr>
          <th scope="col">Pool</th>
          <th scope="col" class="num">Size</th>
          <th scope="col">Bounds in force</th>
          <th scope="col" class="num">Claimed</th>
          <th scope="col" class="num">In use outside claims</th>
          <th scope="col" class="num">Active</th>
          <th scope="col" class="num">Pending deliveries</th>
          <th scope="col">Read</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`,
  );
}

/** One pool's members and pending deliveries. */
export function poolDetails(pool: PoolStatus, now: string): SafeHtml {
  const members = pool.members.map(
    (m) =>
      html`<tr>
        <td>${m.serialNumber}</td>
        <td>${chip(m.status, statusClass(m.status))}</td>
        <td>${m.role}</td>
        <td>${m.instanceId ?? ''}</td>
        <td>${when(m.claimedAt, now)}</td>
        <td>${when(m.releaseDueAt, now)}</td>
        <td>${m.lastAction ?? ''}${m.lastActionAt ? html`<br />${when(m.lastActionAt, now)}` : ''}</td>
        <td class="${m.lastError ? 'err' : ''}">${m.lastError ?? ''}</td>
        <td>${vmCell(m.vm)}</td>
      </tr>`,
  );
  const deliveries =
    pool.pendingDeliveries.length === 0
      ? html`<p class="muted">No pending deliveries.</p>`
      : scroller(
          `Pending deliveries of pool ${pool.name}`,
          html`<table>
            <thead>
              <tr>
                <th scope="col">Instance</th>
                <th scope="col">Serial</th>
                <th scope="col">Stage</th>
                <th scope="col">Since</th>
                <th scope="col" class="num">Attempts</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              ${pool.pendingDeliveries.map(
                (d) =>
                  html`<tr>
                    <td>${d.instanceId}</td>
                    <td>${d.serialNumber}</td>
                    <td>${d.stage}${d.overdue ? html` <span class="err">overdue</span>` : ''}</td>
                    <td>${when(d.since, now)}</td>
                    <td class="num">${d.attempts}</td>
                    <td>${when(d.nextAttemptAt, now)}</td>
                    <td class="err">${d.lastError ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`,
        );
  const orphans =
    pool.orphanClaims.length === 0
      ? ''
      : html`<p class="err">
          Claims naming serials that are not pool members:
          ${pool.orphanClaims.map((c) => `${c.instanceId} → ${c.serialNumber}`).join(', ')}
        </p>`;
  return html`<details>
    <summary>
      pool ${pool.name}: ${plural(pool.members.length, 'member')},
      ${plural(pool.pendingDeliveries.length, 'pending delivery', 'pending deliveries')}
    </summary>
    <p class="muted">
      Config ${pool.configId}; capacity
      ${pool.capacity.map((c) => `${c.min}–${c.max}${c.schedule ? ` while ${c.schedule}` : ''}`).join(', then ')}.
    </p>
    ${
      pool.members.length === 0
        ? html`<p class="muted">No members.</p>`
        : scroller(
            `Members of pool ${pool.name}`,
            html`<table>
              <thead>
                <tr>
                  <th scope="col">Serial</th>
                  <th scope="col">Status</th>
                  <th scope="col">Role</th>
                  <th scope="col">Instance</th>
                  <th scope="col">Claimed</th>
                  <th scope="col">Release due</th>
                  <th scope="col">Last action</th>
                  <th scope="col">Last error</th>
                  <th scope="col">VM</th>
                </tr>
              </thead>
              <tbody>
                ${members}
              </tbody>
            </table>`,
          )
    }
    <h4>Pending deliveries</h4>
    ${deliveries}${orphans}
  </details>`;
}

/** One rule's entitlements: desired vs actual, what the next run does, last action and error, VM. */
export function ruleDetails(rule: RuleStatus, now: string): SafeHtml {
  const zone = rule.timezone ?? 'UTC';
  const withVm = rule.entitlements.some((e) => e.vm !== undefined);
  const rows = rule.entitlements.map(
    (
      e,
    ) => html`<tr${e.pendingAction ? html` class="pending"` : ''}><td>${e.serialNumber}</td><td>${e.description}</td>
<td>${chip(e.actual, statusClass(e.actual))}</td><td>${e.desired}</td>
<td>${e.pendingAction ?? ''}${e.reason ? html`<span class="muted">${e.pendingAction ? ': ' : ''}${e.reason}</span>` : ''}</td>
<td>${e.lastAction ?? ''}${e.lastActionAt ? html`<br />${when(e.lastActionAt, now, zone)}` : ''}</td>
<td class="${e.lastError ? 'err' : ''}">${e.lastError ?? ''}</td>${withVm ? html`<td>${vmCell(e.vm)}</td>` : ''}</tr>`,
  );
  const transitions = rule.nextTransitions
    .map((t) => `${t.active ? 'active' : 'inactive'} ${zoneTime(t.at, zone)}`)
    .join(', ');
  return html`<details data-rule="${rule.name}">
    <summary>
      ${rule.name}: ${plural(rule.counts.selected, 'entitlement')}, ${rule.counts.inDesiredState} in desired
      state${rule.counts.pending > 0 ? html`, <span class="err">${rule.counts.pending} pending</span>` : ''}
    </summary>
    <p>
      Schedule
      <strong>${rule.schedule}</strong
      >${rule.timezone ? html` in ${rule.timezone}` : html` <span class="err">(not defined)</span>`}${rule.activeNow === undefined ? '' : rule.activeNow ? ', business hours now' : ', off-hours now'}.${transitions ? html` Next: ${transitions} (${zone}).` : ''}
    </p>
    ${
      rule.entitlements.length === 0
        ? html`<p class="muted">The rule selects no entitlement.</p>`
        : scroller(
            `Entitlements of rule ${rule.name}`,
            html`<table>
              <thead>
                <tr>
                  <th scope="col">Serial</th>
                  <th scope="col">Description</th>
                  <th scope="col">Actual</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Next run</th>
                  <th scope="col">Last action (${zone})</th>
                  <th scope="col">Last error</th>
                  ${withVm ? html`<th scope="col">VM</th>` : ''}
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`,
          )
    }
  </details>`;
}

/** An error or a last action of an entitlement or a pool member, with where it belongs. */
interface Event {
  at?: string;
  where: string;
  serialNumber?: string;
  text: string;
}

/** Errors: failures gathering the status, then entitlement and member errors and overdue deliveries, newest first. */
export function errorEvents(report: StatusReport): Event[] {
  const events: Event[] = report.errors.map((e) => ({
    where: e.stage,
    ...(e.serialNumber !== undefined && { serialNumber: e.serialNumber }),
    text: e.message,
  }));
  const seen = new Set<string>();
  const dated: Event[] = [];
  for (const rule of report.rules) {
    for (const e of rule.entitlements) {
      if (e.lastError === undefined || seen.has(e.serialNumber)) continue;
      seen.add(e.serialNumber);
      dated.push({
        at: e.lastErrorAt,
        where: `rule ${rule.name}`,
        serialNumber: e.serialNumber,
        text: e.lastError,
      });
    }
  }
  for (const pool of report.pools) {
    for (const m of pool.members) {
      if (m.lastError === undefined || seen.has(m.serialNumber)) continue;
      seen.add(m.serialNumber);
      dated.push({
        at: m.lastErrorAt,
        where: `pool ${pool.name}`,
        serialNumber: m.serialNumber,
        text: m.lastError,
      });
    }
    for (const d of pool.pendingDeliveries.filter((d) => d.overdue)) {
      dated.push({
        at: d.since,
        where: `pool ${pool.name}`,
        serialNumber: d.serialNumber,
        text: `delivery to ${d.instanceId} overdue (${d.stage})${d.lastError ? `: ${d.lastError}` : ''}`,
      });
    }
  }
  dated.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
  return [...events, ...dated];
}

/** Last actions of entitlements and pool members, newest first (each serial once). */
export function lastActionEvents(report: StatusReport): Event[] {
  const seen = new Set<string>();
  const events: Event[] = [];
  const add = (where: string, serial: string, action?: string, at?: string, reason?: string) => {
    if (action === undefined || seen.has(serial)) return;
    seen.add(serial);
    events.push({ at, where, serialNumber: serial, text: reason ? `${action}: ${reason}` : action });
  };
  for (const rule of report.rules) {
    for (const e of rule.entitlements)
      add(`rule ${rule.name}`, e.serialNumber, e.lastAction, e.lastActionAt, e.lastReason);
  }
  for (const pool of report.pools) {
    for (const m of pool.members) add(`pool ${pool.name}`, m.serialNumber, m.lastAction, m.lastActionAt);
  }
  return events.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''));
}

/** A table of events (errors or last actions). */
export function eventsTable(label: string, events: readonly Event[], now: string, cls = ''): SafeHtml {
  return scroller(
    label,
    html`<table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Where</th>
          <th scope="col">Serial</th>
          <th scope="col">What</th>
        </tr>
      </thead>
      <tbody>
        ${events.map(
          (e) =>
            html`<tr>
              <td class="when">${when(e.at, now)}</td>
              <td>${e.where}</td>
              <td>${e.serialNumber ?? ''}</td>
              <td class="${cls}">${e.text}</td>
            </tr>`,
        )}
      </tbody>
    </table>`,
  );
}
