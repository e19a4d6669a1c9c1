/**
 * The simulated FortiFlex entitlements: the entitlement lifecycle, creation, listing, transfer, groups,
 * tokens, and the billing ledger fed by every status or rate change. Operations throw
 * {@link SimApiError}; the HTTP layer turns them into error envelopes.
 */
import { randomBytes } from 'node:crypto';
import type { Config, Entitlement, EntitlementPoints, Group, Program } from '../lib/fortiflex/types';
import { familyOf, productSpec } from './catalog';
import type { SimClock } from './clock';
import { ConfigStore, notFound, refused } from './configs';
import { ErrorCode, SimApiError, UNABLE_TO_UPDATE } from './errors';
import { roundPoints } from '../lib/rules/billing';
import { Ledger } from './ledger';
import { dayOfTimestamp, formatEndDate, formatPt, ptDay, ptDayStart } from './time';
import type { SeedProgram, SimulatorSeed, TokenActivation } from './types';

interface StoredEntitlement {
  entitlement: Entitlement;
  folderPath: string;
}

const DEFAULT_FOLDER = 'My Assets';
const DEFAULT_BALANCE = 50000;
const MAX_CREATE_COUNT = 1000;

const wrongStatus = (serialNumber: string, status: string, action: string, needs: string): SimApiError =>
  new SimApiError(
    UNABLE_TO_UPDATE,
    ErrorCode.invalidStatus,
    400,
    `Cannot ${action} entitlement ${serialNumber}: its status is ${status}; ${action} needs ${needs}.`,
  );

/** The numeric sequence after `stem` in a serial number, or 0 when the serial is not of that stem. */
const sequenceOf = (serial: string, stem: string): number =>
  serial.startsWith(stem) ? Number(serial.slice(stem.length)) || 0 : 0;

/** Scope of `entitlements/list` and `entitlements/points`. */
export interface Scope {
  configId?: number;
  accountId?: number;
  programSerialNumber?: string;
  serialNumber?: string;
}

/** The store and lifecycle of one simulated FortiFlex tenant. */
export class SimState {
  readonly ledger = new Ledger();
  /** Programs and configurations. */
  readonly configs: ConfigStore;
  private readonly entitlements = new Map<string, StoredEntitlement>();
  /** Highest sequence number per serial stem (`FGVMMLTM26`), filled on first use and kept current by `add`. */
  private readonly serialStems = new Map<string, number>();
  /** Earliest end instant among entitlements not yet EXPIRED: clock moves before it expire nothing. */
  private nextExpiryMs = -Infinity;
  /** Prepaid programs whose balance was negative at the last clock move. */
  private readonly programsInGrace = new Set<string>();

  constructor(
    seed: SimulatorSeed,
    private readonly clock: SimClock,
  ) {
    this.configs = new ConfigStore(seed);
    seed.entitlements.forEach(({ folderPath, ...entitlement }, i) => {
      if (!this.configs.has(entitlement.configId)) {
        throw new Error(
          `seed.entitlements[${i}].configId: ${entitlement.serialNumber} names unknown config ${entitlement.configId}; expected the id of a seed config`,
        );
      }
      if (this.entitlements.has(entitlement.serialNumber)) {
        throw new Error(
          `seed.entitlements[${i}].serialNumber: ${entitlement.serialNumber} appears twice; expected unique serial numbers`,
        );
      }
      this.entitlements.set(entitlement.serialNumber, {
        entitlement: { ...entitlement },
        folderPath: folderPath ?? DEFAULT_FOLDER,
      });
      this.watchExpiry(entitlement);
      this.record(entitlement);
    });
    this.onClock(clock.nowMs());
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  private now(): number {
    return this.clock.nowMs();
  }

  /** Feeds the entitlement's current status and rate into the ledger at the current instant. */
  private record(entitlement: Entitlement, at = this.now()): void {
    this.ledger.record(
      entitlement.serialNumber,
      at,
      entitlement.status,
      this.configs.rateOf(entitlement.configId),
    );
  }

  /** The entitlement's config; seeds guarantee it exists. */
  private configOf(entitlement: Entitlement): Config {
    return this.configs.config(entitlement.configId);
  }

  private stored(serialNumber: string): StoredEntitlement {
    const stored = this.entitlements.get(serialNumber);
    if (!stored) throw notFound(`Entitlement ${serialNumber}`);
    return stored;
  }

  /** Validates an end date (must be after today and not after the program end) and returns its API form. */
  private endDate(day: string | null, program: Program): string {
    const programEnd = dayOfTimestamp(program.endDate);
    if (day === null) return formatEndDate(programEnd);
    const today = ptDay(this.now());
    if (day <= today || day > programEnd) {
      throw new SimApiError(
        `endDate ${day} must be after today (${today}) and not after the program end date (${programEnd}).`,
      );
    }
    return formatEndDate(day);
  }

  private nextSerial(prefix: string): string {
    const stem = `${prefix}${ptDay(this.now()).slice(2, 4)}`;
    let max = this.serialStems.get(stem);
    if (max === undefined) {
      max = 0;
      for (const serial of this.entitlements.keys()) max = Math.max(max, sequenceOf(serial, stem));
      this.serialStems.set(stem, max);
    }
    return `${stem}${String(max + 1).padStart(16 - stem.length, '0')}`;
  }

  private balance(program: SeedProgram): number {
    const spent = this.pointsCharged({ programSerialNumber: program.serialNumber });
    return roundPoints((program.pointBalance ?? DEFAULT_BALANCE) - spent);
  }

  private assertCanSpend(config: Config): void {
    const program = this.configs.program(config.programSerialNumber);
    if (program.serialNumber.startsWith('ELAVMR') && this.balance(program) <= 0) {
      throw refused(`Insufficient points in program ${program.serialNumber}.`);
    }
  }

  /**
   * Checks that `config` may take new entitlements ending on `day` (the program's end date when null), then
   * returns a function that stores one on it, starting now, in `folderPath`.
   */
  private issuer(
    config: Config,
    day: string | null,
    folderPath: string,
  ): (
    fields: Pick<Entitlement, 'serialNumber' | 'description' | 'status' | 'token' | 'tokenStatus'>,
  ) => Entitlement {
    const endDate = this.endDate(day, this.configs.program(config.programSerialNumber));
    this.assertCanSpend(config);
    return (fields) =>
      this.add(
        {
          serialNumber: fields.serialNumber,
          description: fields.description,
          configId: config.id,
          accountId: config.accountId,
          startDate: formatPt(this.now()),
          endDate,
          status: fields.status,
          token: fields.token,
          tokenStatus: fields.tokenStatus,
        },
        folderPath,
      );
  }

  private add(entitlement: Entitlement, folderPath: string): Entitlement {
    this.entitlements.set(entitlement.serialNumber, { entitlement, folderPath });
    for (const [stem, max] of this.serialStems) {
      const sequence = sequenceOf(entitlement.serialNumber, stem);
      if (sequence > max) this.serialStems.set(stem, sequence);
    }
    this.watchExpiry(entitlement);
    this.record(entitlement);
    return { ...entitlement };
  }

  private setStatus(stored: StoredEntitlement, status: string): Entitlement {
    stored.entitlement.status = status;
    this.record(stored.entitlement);
    return { ...stored.entitlement };
  }

  /** Lowers the next expiry check to this entitlement's end instant if it is earlier. */
  private watchExpiry(entitlement: Entitlement): void {
    if (entitlement.status === 'EXPIRED') return;
    this.nextExpiryMs = Math.min(this.nextExpiryMs, ptDayStart(dayOfTimestamp(entitlement.endDate)));
  }

  /**
   * Called after every clock move. Entitlements whose end date has passed become EXPIRED at their end
   * instant (midnight Pacific); then prepaid programs enter or leave grace (see {@link applyGrace}).
   */
  onClock(nowMs: number): void {
    this.expireDue(nowMs);
    this.applyGrace();
  }

  /** Expires every entitlement whose end instant is at or before `nowMs`. */
  private expireDue(nowMs: number): void {
    if (nowMs < this.nextExpiryMs) return;
    let next = Infinity;
    for (const { entitlement } of this.entitlements.values()) {
      if (entitlement.status === 'EXPIRED') continue;
      const end = ptDayStart(dayOfTimestamp(entitlement.endDate));
      if (end <= nowMs) {
        entitlement.status = 'EXPIRED';
        // Expiry is not a stop: the entitlement is no longer ACTIVE at its end instant, so its last charged
        // instant is the one before (the end day itself is not billed).
        this.record(entitlement, end - 1);
      } else {
        next = Math.min(next, end);
      }
    }
    this.nextExpiryMs = next;
  }

  /**
   * Reference §7.1 and §9: while a prepaid program's balance is negative its charged entitlements show
   * GRACE_PERIOD (still charged); when the balance is back at or above zero they return to ACTIVE. Checked
   * on every clock move, as FortiCloud also updates the status with a delay rather than on each request.
   */
  private applyGrace(): void {
    this.programsInGrace.clear();
    for (const program of this.configs.seedPrograms()) {
      if (program.serialNumber.startsWith('ELAVMR') && this.balance(program) < 0)
        this.programsInGrace.add(program.serialNumber);
    }
    for (const stored of this.entitlements.values()) {
      const { status } = stored.entitlement;
      if (status !== 'ACTIVE' && status !== 'GRACE_PERIOD') continue;
      const wanted = this.chargedStatus(this.configOf(stored.entitlement));
      if (status !== wanted) this.setStatus(stored, wanted);
    }
  }

  /** The status a charged entitlement of `config` takes: GRACE_PERIOD while its program is in grace. */
  private chargedStatus(config: Config): 'ACTIVE' | 'GRACE_PERIOD' {
    return this.programsInGrace.has(config.programSerialNumber) ? 'GRACE_PERIOD' : 'ACTIVE';
  }

  // ---- programs and configurations -------------------------------------------------------------------------

  programPoints(serialNumber: string): { serialNumber: string; accountId: number; pointBalance: number } {
    const program = this.configs.program(serialNumber);
    if (!serialNumber.startsWith('ELAVMR')) {
      throw refused(`Points balance is only available for prepaid programs; ${serialNumber} is postpaid.`);
    }
    return { serialNumber, accountId: program.accountId, pointBalance: this.balance(program) };
  }

  /** Updates a configuration and re-rates every entitlement on it from now on. */
  updateConfig(q: { id: number; name?: string; parameters?: { id: number; value: string }[] }): Config {
    const config = this.configs.updateConfig(q);
    for (const { entitlement } of this.entitlements.values()) {
      if (entitlement.configId === config.id) this.record(entitlement);
    }
    return config;
  }

  // ---- entitlements ---------------------------------------------------------------------------------------

  /** Current entitlements (copies), in creation order. */
  all(): Entitlement[] {
    return [...this.entitlements.values()].map(({ entitlement }) => ({ ...entitlement }));
  }

  private inScope(entitlement: Entitlement, scope: Scope): boolean {
    if (scope.configId !== undefined && entitlement.configId !== scope.configId) return false;
    if (scope.accountId !== undefined && entitlement.accountId !== scope.accountId) return false;
    if (scope.serialNumber !== undefined && entitlement.serialNumber !== scope.serialNumber) return false;
    if (scope.programSerialNumber !== undefined) {
      if (this.configOf(entitlement)?.programSerialNumber !== scope.programSerialNumber) return false;
    }
    return true;
  }

  listEntitlements(
    scope: Scope,
    filters: { serialNumber?: string; description?: string; status?: string; tokenStatus?: string },
  ): Entitlement[] {
    if (
      scope.configId === undefined &&
      (scope.accountId === undefined || scope.programSerialNumber === undefined)
    ) {
      throw new SimApiError(
        'either configId or (accountId + programSerialNumber) should be provided in request payload',
      );
    }
    // Filter first, copy only what is returned.
    const result: Entitlement[] = [];
    for (const { entitlement: e } of this.entitlements.values()) {
      if (
        this.inScope(e, scope) &&
        (filters.serialNumber === undefined || e.serialNumber === filters.serialNumber) &&
        (filters.description === undefined || e.description === filters.description) &&
        (filters.status === undefined || e.status === filters.status) &&
        (filters.tokenStatus === undefined || e.tokenStatus === filters.tokenStatus)
      ) {
        result.push({ ...e });
      }
    }
    return result;
  }

  createVm(q: {
    configId: number;
    count: number;
    description?: string;
    endDate: string | null;
    folderPath?: string;
    skipPending?: boolean;
  }): Entitlement[] {
    const config = this.configs.activeConfig(q.configId);
    if (familyOf(config.productType.id) !== 'vm') {
      throw refused(`Configuration ${config.id} is not a VM product; use hardware/create or cloud/create.`);
    }
    if (!Number.isInteger(q.count) || q.count < 1 || q.count > MAX_CREATE_COUNT) {
      throw new SimApiError(`count: expected an integer between 1 and ${MAX_CREATE_COUNT}`);
    }
    const issue = this.issuer(config, q.endDate, this.folder(q.folderPath));
    const prefix = productSpec(config.productType.id).serialPrefix;
    return Array.from({ length: q.count }, () =>
      issue({
        serialNumber: this.nextSerial(prefix),
        description: q.description ?? '',
        status: q.skipPending ? 'ACTIVE' : 'PENDING',
        token: randomBytes(10).toString('hex').toUpperCase(),
        tokenStatus: 'NOTUSED',
      }),
    );
  }

  private folder(folderPath: string | undefined): string {
    if (folderPath === undefined || folderPath === '') return DEFAULT_FOLDER;
    const trimmed = folderPath.replace(/\/+$/, '');
    if (trimmed !== DEFAULT_FOLDER && !trimmed.startsWith(`${DEFAULT_FOLDER}/`)) {
      throw new SimApiError(`folderPath: "${folderPath}" must be "My Assets" or a folder under it`);
    }
    return trimmed;
  }

  createHardware(q: { configId: number; serialNumbers: string[]; endDate: string | null }): Entitlement[] {
    const config = this.configs.activeConfig(q.configId);
    if (familyOf(config.productType.id) !== 'hardware') {
      throw refused(`Configuration ${config.id} is not a hardware product.`);
    }
    if (q.serialNumbers.length === 0 || q.serialNumbers.length > 100) {
      throw new SimApiError('serialNumbers: expected 1 to 100 device serial numbers');
    }
    for (const serial of q.serialNumbers) {
      if (!/^[A-Z0-9]{10,20}$/.test(serial))
        throw new SimApiError(`serialNumbers: "${serial}" is not a device serial number`);
      if (this.entitlements.has(serial))
        throw refused(`Serial number ${serial} is already a FortiFlex entitlement.`);
    }
    const issue = this.issuer(config, q.endDate, DEFAULT_FOLDER);
    return q.serialNumbers.map((serialNumber) =>
      issue({ serialNumber, description: '', status: 'ACTIVE', token: '', tokenStatus: '' }),
    );
  }

  createCloud(q: {
    configId: number;
    endDate: string | null;
    folderPath?: string;
    description?: string;
  }): Entitlement[] {
    const config = this.configs.activeConfig(q.configId);
    if (familyOf(config.productType.id) !== 'cloud')
      throw refused(`Configuration ${config.id} is not a cloud product.`);
    for (const { entitlement } of this.entitlements.values()) {
      const other = this.configOf(entitlement);
      if (
        entitlement.accountId === config.accountId &&
        other?.productType.id === config.productType.id &&
        entitlement.status !== 'EXPIRED'
      ) {
        throw refused(
          `Account ${config.accountId} already has a ${config.productType.name} entitlement (${entitlement.serialNumber}); only one per product is allowed.`,
        );
      }
    }
    const issue = this.issuer(config, q.endDate, this.folder(q.folderPath));
    return [
      issue({
        serialNumber: this.nextSerial(productSpec(config.productType.id).serialPrefix),
        description: q.description ?? '',
        status: 'ACTIVE',
        token: '',
        tokenStatus: '',
      }),
    ];
  }

  update(q: {
    serialNumber: string;
    configId?: number;
    description?: string;
    endDate?: string | null;
  }): Entitlement {
    const stored = this.stored(q.serialNumber);
    const e = stored.entitlement;
    if (e.status === 'EXPIRED')
      throw wrongStatus(e.serialNumber, e.status, 'update', 'PENDING, ACTIVE, STOPPED or GRACE_PERIOD');
    let target: Config | undefined;
    if (q.configId !== undefined && q.configId !== e.configId) {
      target = this.configs.activeConfig(q.configId);
      const current = this.configs.config(e.configId);
      if (target.productType.id !== current.productType.id) {
        throw refused(
          `Configuration ${target.id} is a different product type than configuration ${current.id}.`,
        );
      }
      if (target.accountId !== e.accountId) {
        throw refused(
          `Configuration ${target.id} belongs to another account than entitlement ${e.serialNumber}.`,
        );
      }
    }
    let endDate: string | undefined;
    // null ("follow the program") resets the end date to the program's.
    if (q.endDate !== undefined) {
      if (e.status === 'STOPPED') {
        throw wrongStatus(
          e.serialNumber,
          e.status,
          'change the end date of',
          'PENDING, ACTIVE or GRACE_PERIOD',
        );
      }
      endDate = this.endDate(
        q.endDate,
        this.configs.program(this.configs.config(e.configId).programSerialNumber),
      );
    }
    if (target) e.configId = target.id;
    if (q.description !== undefined) e.description = q.description;
    if (endDate !== undefined) {
      e.endDate = endDate;
      this.watchExpiry(e);
    }
    this.record(e);
    return { ...e };
  }

  stop(serialNumber: string): Entitlement {
    const stored = this.stored(serialNumber);
    const { status } = stored.entitlement;
    if (status !== 'ACTIVE' && status !== 'GRACE_PERIOD')
      throw wrongStatus(serialNumber, status, 'stop', 'ACTIVE or GRACE_PERIOD');
    return this.setStatus(stored, 'STOPPED');
  }

  reactivate(serialNumber: string): Entitlement {
    const stored = this.stored(serialNumber);
    const { status } = stored.entitlement;
    if (status !== 'STOPPED') throw wrongStatus(serialNumber, status, 'reactivate', 'STOPPED');
    return this.setStatus(stored, this.chargedStatus(this.configOf(stored.entitlement)));
  }

  regenerateToken(serialNumber: string): Entitlement {
    const { entitlement } = this.stored(serialNumber);
    if (familyOf(this.configs.config(entitlement.configId).productType.id) !== 'vm') {
      throw refused(`Entitlement ${serialNumber} is not a VM entitlement and has no token.`);
    }
    if (entitlement.status === 'EXPIRED') {
      throw wrongStatus(
        serialNumber,
        entitlement.status,
        'regenerate the token of',
        'PENDING, ACTIVE or STOPPED',
      );
    }
    entitlement.token = randomBytes(10).toString('hex').toUpperCase();
    entitlement.tokenStatus = 'NOTUSED';
    return { ...entitlement };
  }

  /** A VM boots with the entitlement's token: PENDING becomes ACTIVE; the token becomes USED (single use). */
  useToken(serialNumber: string): void {
    const stored = this.entitlements.get(serialNumber);
    if (!stored) throw new Error(`useToken: unknown serial number ${serialNumber}`);
    const e = stored.entitlement;
    if (e.token === '') throw new Error(`useToken: ${serialNumber} has no license token`);
    if (e.tokenStatus === 'USED') throw new Error(`useToken: the token of ${serialNumber} was already used`);
    this.markTokenUsed(stored);
  }

  /**
   * A FortiGate-VM presents `token` to FortiCare, as `vmlicense/download` makes it do. Only the current token
   * of a VM entitlement counts (a regenerated token replaces the old one); it must be unused, and its
   * entitlement PENDING, ACTIVE or GRACE_PERIOD (a STOPPED or EXPIRED one gives no licence). On success the
   * token becomes USED and a PENDING entitlement turns ACTIVE now (the ledger starts charging it), exactly as
   * {@link useToken}; on refusal nothing changes.
   */
  activateToken(token: string): TokenActivation {
    if (token === '') return { ok: false, reason: 'invalid' };
    for (const stored of this.entitlements.values()) {
      const e = stored.entitlement;
      if (e.token !== token) continue;
      if (e.tokenStatus === 'USED') return { ok: false, reason: 'used' };
      if (e.status !== 'PENDING' && e.status !== 'ACTIVE' && e.status !== 'GRACE_PERIOD')
        return { ok: false, reason: 'notActive', status: e.status };
      this.markTokenUsed(stored);
      return { ok: true, serialNumber: e.serialNumber };
    }
    return { ok: false, reason: 'invalid' };
  }

  /** Status of one entitlement, or undefined for an unknown serial (cheaper than copying `all()`). */
  statusOf(serialNumber: string): string | undefined {
    return this.entitlements.get(serialNumber)?.entitlement.status;
  }

  private markTokenUsed(stored: StoredEntitlement): void {
    const e = stored.entitlement;
    e.tokenStatus = 'USED';
    if (e.status === 'PENDING') this.setStatus(stored, this.chargedStatus(this.configOf(e)));
  }

  // ---- points, transfer, groups, calc ----------------------------------------------------------------------

  /** Sum of ledger charges over entitlements in scope and Pacific days [from, to] (inclusive). */
  pointsCharged(filter: Scope & { from?: string; to?: string } = {}): number {
    let sum = 0;
    const now = this.now();
    for (const { entitlement } of this.entitlements.values()) {
      if (this.inScope(entitlement, filter))
        sum += this.ledger.total(entitlement.serialNumber, now, filter.from, filter.to);
    }
    return roundPoints(sum);
  }

  points(scope: Scope, startDate: string, endDate: string): EntitlementPoints[] {
    if (scope.configId === undefined && scope.accountId === undefined) {
      throw new SimApiError(
        'either configId or (accountId + programSerialNumber) should be provided in request payload',
      );
    }
    if (startDate > endDate) throw new SimApiError(`startDate ${startDate} is after endDate ${endDate}`);
    const now = this.now();
    const result: EntitlementPoints[] = [];
    for (const { entitlement: e } of this.entitlements.values()) {
      if (!this.inScope(e, scope)) continue;
      result.push({
        serialNumber: e.serialNumber,
        accountId: e.accountId,
        points: this.ledger.total(e.serialNumber, now, startDate, endDate),
      });
    }
    return result;
  }

  transfer(q: {
    sourceAccountId: number;
    sourceConfigId: number;
    targetAccountId: number;
    targetConfigId?: number;
    serialNumbers?: string[];
  }): Entitlement[] {
    const source = this.configs.config(q.sourceConfigId);
    if (source.accountId !== q.sourceAccountId) {
      throw refused(`Configuration ${source.id} does not belong to account ${q.sourceAccountId}.`);
    }
    let target: Config;
    if (q.targetConfigId !== undefined) {
      target = this.configs.activeConfig(q.targetConfigId);
      if (target.accountId !== q.targetAccountId) {
        throw refused(`Configuration ${target.id} does not belong to account ${q.targetAccountId}.`);
      }
      if (target.productType.id !== source.productType.id) {
        throw refused(
          `Configuration ${target.id} is a different product type than configuration ${source.id}.`,
        );
      }
    } else {
      target = this.configs.configInAccount(source, q.targetAccountId);
    }
    const serials =
      q.serialNumbers ??
      [...this.entitlements.values()]
        .filter(({ entitlement: e }) => e.configId === source.id && e.accountId === q.sourceAccountId)
        .map(({ entitlement: e }) => e.serialNumber);
    const moving = serials.map((serial) => {
      const stored = this.stored(serial);
      if (stored.entitlement.configId !== source.id || stored.entitlement.accountId !== q.sourceAccountId) {
        throw refused(
          `Entitlement ${serial} is not in configuration ${source.id} of account ${q.sourceAccountId}.`,
        );
      }
      return stored;
    });
    return moving.map(({ entitlement }) => {
      entitlement.accountId = q.targetAccountId;
      entitlement.configId = target.id;
      this.record(entitlement);
      return { ...entitlement };
    });
  }

  groups(accountId?: number): Group[] {
    const groups = new Map<string, Group>();
    for (const { entitlement, folderPath } of this.entitlements.values()) {
      if (entitlement.token === '' || (accountId !== undefined && entitlement.accountId !== accountId))
        continue;
      const key = `${entitlement.accountId}\u0000${folderPath}`;
      const group = groups.get(key) ?? {
        folderPath,
        availableTokens: 0,
        usedTokens: 0,
        accountId: accountId ?? 0,
      };
      if (entitlement.tokenStatus === 'USED') group.usedTokens += 1;
      else group.availableTokens += 1;
      groups.set(key, group);
    }
    return [...groups.values()];
  }

  /** The first entitlement with an unused token matching the filters (default: any status but EXPIRED). */
  nextToken(q: {
    configId?: number;
    folderPath?: string;
    accountId?: number;
    status?: string[];
  }): Entitlement | undefined {
    if (q.configId === undefined && q.folderPath === undefined && q.accountId === undefined) {
      throw new SimApiError('one of configId, folderPath or accountId should be provided in request payload');
    }
    const folder = q.folderPath?.replace(/\/+$/, '');
    for (const { entitlement, folderPath } of this.entitlements.values()) {
      if (entitlement.token === '' || entitlement.tokenStatus !== 'NOTUSED') continue;
      if (q.configId !== undefined && entitlement.configId !== q.configId) continue;
      if (q.accountId !== undefined && entitlement.accountId !== q.accountId) continue;
      if (folder !== undefined && folderPath !== folder) continue;
      if (q.status ? !q.status.includes(entitlement.status) : entitlement.status === 'EXPIRED') continue;
      return { ...entitlement };
    }
    return undefined;
  }

  /** Points per day for `count` units of a configuration (same rate model as the ledger). */
  calc(q: {
    programSerialNumber: string;
    productTypeId: number;
    parameters: { id: number; value: string }[];
    count: number;
  }): { current: number; latest: null; latestEffectiveDate: null } {
    if (!Number.isInteger(q.count) || q.count < 1) throw new SimApiError('count: expected an integer >= 1');
    const rate = this.configs.calcRate(q.programSerialNumber, q.productTypeId, q.parameters);
    return { current: roundPoints(rate * q.count), latest: null, latestEffectiveDate: null };
  }
}
