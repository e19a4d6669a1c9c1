/**
 * Programs and configurations of the simulated tenant, and what each configuration costs per day.
 * Configurations are never deleted, only disabled.
 */
import type { Config, ConfigParameter, Program } from '../lib/fortiflex/types';
import { configRate, derivedRate, normalizeParameters, productSpec } from './catalog';
import { ErrorCode, SimApiError } from './errors';
import type { SeedProgram, SimulatorSeed } from './types';

/** "X not found." with the not-found error code. */
export const notFound = (what: string): SimApiError =>
  new SimApiError(`${what} not found.`, ErrorCode.notFound);
/** A refusal by a business rule. */
export const refused = (message: string): SimApiError => new SimApiError(message, ErrorCode.businessRule);

const parameterKey = (parameters: readonly ConfigParameter[]): string =>
  JSON.stringify(parameters.map((p) => [p.id, p.value]));

/** The programs and configurations, with their rates. */
export class ConfigStore {
  private readonly programs: SeedProgram[];
  private readonly configs = new Map<number, Config>();
  private readonly rates: Record<number, number>;

  constructor(seed: SimulatorSeed) {
    this.programs = seed.programs.map((program) => ({ ...program }));
    this.rates = { ...(seed.rates ?? {}) };
    seed.configs.forEach((config, i) => {
      if (!this.programs.some((p) => p.serialNumber === config.programSerialNumber)) {
        throw new Error(
          `seed.configs[${i}].programSerialNumber: config ${config.id} names unknown program ${config.programSerialNumber}; expected the serial of a seed program`,
        );
      }
      if (this.configs.has(config.id)) {
        throw new Error(`seed.configs[${i}].id: config ${config.id} appears twice; expected unique ids`);
      }
      this.configs.set(config.id, structuredClone(config));
    });
  }

  /** The program, or a not-found API error. */
  program(serialNumber: string): SeedProgram {
    const program = this.programs.find((p) => p.serialNumber === serialNumber);
    if (!program) throw notFound(`Program ${serialNumber}`);
    return program;
  }

  /** The stored configuration (not a copy), or a not-found API error. */
  config(id: number): Config {
    const config = this.configs.get(id);
    if (!config) throw notFound(`Configuration ${id}`);
    return config;
  }

  /** Whether the configuration exists. */
  has(id: number): boolean {
    return this.configs.has(id);
  }

  /** The configuration if it is ACTIVE; disabled ones take no new or moved entitlements. */
  activeConfig(id: number): Config {
    const config = this.config(id);
    if (config.status !== 'ACTIVE') throw refused(`Configuration ${id} is disabled.`);
    return config;
  }

  /** Points per day of a configuration: the seed's rate, else the derived one; 0 if unknown. */
  rateOf(configId: number): number {
    const config = this.configs.get(configId);
    return config ? configRate(config, this.rates) : 0;
  }

  /** The stored programs with their prepaid balances (not copies). */
  seedPrograms(): readonly SeedProgram[] {
    return this.programs;
  }

  listPrograms(): Program[] {
    return this.programs.map(({ pointBalance: _balance, ...program }) => ({ ...program }));
  }

  listConfigs(programSerialNumber: string, accountId?: number): Config[] {
    this.program(programSerialNumber);
    return [...this.configs.values()]
      .filter(
        (c) =>
          c.programSerialNumber === programSerialNumber &&
          (accountId === undefined || c.accountId === accountId),
      )
      .map((c) => structuredClone(c));
  }

  createConfig(q: {
    programSerialNumber: string;
    accountId?: number;
    name: string;
    productTypeId: number;
    parameters: { id: number; value: string }[];
  }): Config {
    const program = this.program(q.programSerialNumber);
    const accountId = q.accountId ?? program.accountId;
    const product = productSpec(q.productTypeId);
    const parameters = normalizeParameters(q.productTypeId, q.parameters);
    this.assertUniqueName(q.name, accountId);
    return structuredClone(
      this.insert({
        name: q.name,
        programSerialNumber: q.programSerialNumber,
        accountId,
        status: 'ACTIVE',
        productType: { id: product.id, name: product.label },
        parameters,
      }),
    );
  }

  private insert(fields: Omit<Config, 'id'>): Config {
    const config: Config = { id: Math.max(0, ...this.configs.keys()) + 1, ...fields };
    this.configs.set(config.id, config);
    return config;
  }

  private assertUniqueName(name: string, accountId: number, exceptId?: number): void {
    for (const c of this.configs.values()) {
      if (c.accountId === accountId && c.name === name && c.id !== exceptId) {
        throw refused(`A configuration named "${name}" already exists in account ${accountId}.`);
      }
    }
  }

  /** Renames and/or changes parameters; ids not sent keep their values. */
  updateConfig(q: { id: number; name?: string; parameters?: { id: number; value: string }[] }): Config {
    const config = this.config(q.id);
    const parameters = q.parameters
      ? normalizeParameters(config.productType.id, q.parameters, config.parameters)
      : config.parameters;
    if (q.name !== undefined) {
      if (q.name.trim() === '') throw new SimApiError('name: expected a non-empty string');
      this.assertUniqueName(q.name, config.accountId, config.id);
      config.name = q.name;
    }
    config.parameters = parameters;
    return structuredClone(config);
  }

  setConfigStatus(id: number, status: 'ACTIVE' | 'DISABLED'): Config {
    const config = this.config(id);
    config.status = status;
    return structuredClone(config);
  }

  /** The account's config with the same product and parameters as `source`, copied there if missing. */
  configInAccount(source: Config, accountId: number): Config {
    for (const config of this.configs.values()) {
      if (
        config.accountId === accountId &&
        config.productType.id === source.productType.id &&
        parameterKey(config.parameters) === parameterKey(source.parameters)
      ) {
        return config;
      }
    }
    const { id: _id, ...fields } = structuredClone(source);
    const copy = this.insert({ ...fields, accountId, status: 'ACTIVE' });
    if (this.rates[source.id] !== undefined) this.rates[copy.id] = this.rates[source.id]!;
    return copy;
  }

  /**
   * Points per day of one unit of a configuration (tools/calc). A seed that prices an identical config
   * explicitly prices this one too, so estimates and the ledger agree.
   */
  calcRate(
    programSerialNumber: string,
    productTypeId: number,
    input: { id: number; value: string }[],
  ): number {
    this.program(programSerialNumber);
    const parameters = normalizeParameters(productTypeId, input);
    const key = parameterKey(parameters);
    const priced = [...this.configs.values()].find(
      (c) =>
        this.rates[c.id] !== undefined &&
        c.programSerialNumber === programSerialNumber &&
        c.productType.id === productTypeId &&
        parameterKey(c.parameters) === key,
    );
    return priced ? this.rates[priced.id]! : derivedRate(productTypeId, parameters);
  }
}
