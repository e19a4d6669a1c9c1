/**
 * The configuration catalogue: product types, their parameters and allowed values, the
 * validation the API applies to `configs/create`, `configs/update` and `tools/calc` (messages name
 * "Parameter id N", which vendor tools rewrite into attribute names), and the points-per-day rate model.
 */
import { roundPoints } from '../lib/rules/billing';
import type { Config, ConfigParameter } from '../lib/fortiflex/types';
import { SimApiError } from './errors';

/** How a product's entitlements are created. */
export type ProductFamily = 'vm' | 'hardware' | 'cloud';

interface ParamSpec {
  id: number;
  name: string;
  kind: 'int' | 'enum' | 'list';
  min?: number;
  max?: number;
  /** Value must be a multiple of this. */
  step?: number;
  /** 0 is allowed besides [min, max]. */
  zeroAllowed?: boolean;
  values?: readonly string[];
  default?: string;
  required?: boolean;
  readOnly?: boolean;
  /** Replaced by another id; rejected with a pointer to the new one. */
  replacedBy?: number;
}

/** A product type the simulator knows. */
export interface ProductSpec {
  id: number;
  /** `productType.name` as the server labels it. */
  label: string;
  family: ProductFamily;
  /** First 8 characters of generated serial numbers. */
  serialPrefix: string;
  params: readonly ParamSpec[];
}

const int = (
  id: number,
  name: string,
  min: number,
  max: number,
  extra: Partial<ParamSpec> = {},
): ParamSpec => ({
  id,
  name,
  kind: 'int',
  min,
  max,
  ...extra,
});

/** A parameter whose value (`enum`) or values (`list`) come from a fixed set. */
const valued =
  (kind: 'enum' | 'list') =>
  (id: number, name: string, values: readonly string[], extra: Partial<ParamSpec> = {}): ParamSpec => ({
    id,
    name,
    kind,
    values,
    ...extra,
  });
const oneOf = valued('enum');
const listOf = valued('list');

const FWB_THROUGHPUT = [25, 50, 75, 100, 150, 200, 250, 300, 350, 400, 450, 500, 600, 700, 800, 900, 1000]
  .concat(Array.from({ length: 18 }, (_, i) => 1500 + i * 500))
  .map(String);

const PRODUCTS: readonly ProductSpec[] = [
  {
    id: 1,
    label: 'FortiGate-VM',
    family: 'vm',
    serialPrefix: 'FGVMMLTM',
    params: [
      int(1, 'CPU', 1, 96, { required: true }),
      oneOf(2, 'SERVICEPACK', ['FC', 'UTP', 'ENT', 'ATP'], { required: true }),
      int(10, 'VDOM', 0, 500, { default: '0' }),
      listOf(43, 'SERVICEPACK', ['FGTAVDB', 'FGTFAIS', 'FGTISSS', 'FGTDLDB', 'FGTFGSA', 'FGTFCSS']),
      listOf(44, 'SERVICEPACK', ['FGTFAMS', 'FGTSWNM', 'FGTSOCA', 'FGTFAZC', 'FGTSWOS', 'FGTFSPA']),
      oneOf(45, 'SERVICEPACK', ['FGTFCELU', 'NONE'], { default: 'NONE' }),
    ],
  },
  {
    id: 2,
    label: 'FortiManager-VM',
    family: 'vm',
    serialPrefix: 'FMGVMSTM',
    params: [
      int(30, 'DEVICENOBPS', 1, 100000, { required: true }),
      int(9, 'ADOM', 0, 100000, { required: true }),
      int(3, 'DEVICENOBPS', 1, 100000, { replacedBy: 30 }),
    ],
  },
  {
    id: 3,
    label: 'FortiWeb-VM',
    family: 'vm',
    serialPrefix: 'FVVM00TM',
    params: [
      oneOf(4, 'CPU', ['1', '2', '4', '8', '16'], { required: true }),
      oneOf(5, 'SERVICEPACK', ['FWBSTD', 'FWBADV', 'FWBENT'], { required: true }),
    ],
  },
  {
    id: 4,
    label: 'FortiGate-VM',
    family: 'vm',
    serialPrefix: 'FGVMMLTM',
    params: [
      int(6, 'CPU', 1, 96, { required: true }),
      listOf(7, 'SERVICEPACK', ['IPS', 'AVDB', 'FURLDNS', 'FGSA', 'ISSS', 'DLDB', 'FAIS']),
      oneOf(8, 'SERVICEPACK', ['FC247', 'ASET'], { required: true }),
      int(11, 'VDOM', 0, 500, { default: '0' }),
      listOf(12, 'SERVICEPACK', ['FAMS', 'SWNM', 'AFAC', 'FAZC', 'FSPA', 'SWOS']),
    ],
  },
  {
    id: 7,
    label: 'FortiAnalyzer-VM',
    family: 'vm',
    serialPrefix: 'FAZVMSTM',
    params: [
      int(21, 'STORAGE', 5, 8300, { required: true }),
      int(22, 'ADOM', 0, 1200, { default: '0' }),
      oneOf(23, 'SERVICEPACK', ['FAZFC247'], { required: true }),
      listOf(58, 'SERVICEPACK', ['FAZISSS', 'FAZFGSA', 'FAZAISN']),
    ],
  },
  {
    id: 101,
    label: 'FortiGate-Hardware',
    family: 'hardware',
    serialPrefix: 'FGT60FTK',
    params: [
      oneOf(
        27,
        'PRODUCTMODEL',
        ['FGT40F', 'FWF40F', 'FGT60E', 'FGT60F', 'FWF60F', 'FGT70F', 'FGT80F', 'FG100F', 'FG200F'],
        {
          required: true,
        },
      ),
      oneOf(28, 'SERVICEPACK', ['FGHWFC247', 'FGHWFCEL', 'FGHWATP', 'FGHWUTP', 'FGHWENT', 'FGHWFCESN'], {
        required: true,
      }),
      listOf(29, 'SERVICEPACK', ['FGHWFCELU', 'FGHWFAMS', 'FGHWFAIS', 'FGHWSWNM', 'FGHWDLDB', 'FGHWFAZC']),
    ],
  },
  {
    id: 203,
    label: 'FortiWeb-Cloud',
    family: 'cloud',
    serialPrefix: 'FWBCLE00',
    params: [
      oneOf(34, 'THROUGHPUT', FWB_THROUGHPUT, { required: true }),
      int(35, 'WEBAPPS', 1, 5000, { required: true }),
    ],
  },
  {
    id: 204,
    label: 'FortiClient-EMS-Cloud',
    family: 'cloud',
    serialPrefix: 'FEMSPO88',
    params: [
      int(37, 'ZTNA', 25, 25000, { step: 25, zeroAllowed: true, default: '0' }),
      int(38, 'ZTNAFGF', 25, 25000, { step: 25, zeroAllowed: true, default: '0' }),
      int(39, 'EPP', 25, 25000, { step: 25, zeroAllowed: true, default: '0' }),
      int(40, 'EPPFGF', 25, 25000, { step: 25, zeroAllowed: true, default: '0' }),
      int(41, 'CHROMEBOOK', 25, 25000, { step: 25, zeroAllowed: true, default: '0' }),
      listOf(42, 'SERVICEPACK', ['BPS']),
    ],
  },
  {
    id: 206,
    label: 'FortiEDR',
    family: 'cloud',
    serialPrefix: 'FEDRCL00',
    params: [
      oneOf(46, 'SERVICEPACK', ['FEDRPDR'], { required: true }),
      int(47, 'ENDPOINTS', 0, 0, { readOnly: true }),
      listOf(52, 'SERVICEPACK', ['FEDRXDR']),
      int(76, 'STORAGE', 0, 30720, { step: 512, default: '0' }),
    ],
  },
];

/** The product type with this id, or a one-line API error. */
export function productSpec(productTypeId: number): ProductSpec {
  const spec = findProduct(productTypeId);
  if (!spec) {
    throw new SimApiError(
      `productTypeId ${productTypeId} is not supported; expected one of ${PRODUCTS.map((p) => p.id).join(', ')}`,
    );
  }
  return spec;
}

/** The product type with this id, if the catalogue knows it (seeds may use types the catalogue lacks). */
export function findProduct(productTypeId: number): ProductSpec | undefined {
  return PRODUCTS.find((product) => product.id === productTypeId);
}

/** The create family of a product type id, by range when the catalogue does not list it. */
export function familyOf(productTypeId: number): ProductFamily {
  return (
    findProduct(productTypeId)?.family ??
    (productTypeId >= 200 ? 'cloud' : productTypeId >= 100 ? 'hardware' : 'vm')
  );
}

function invalid(id: number, value: string, expected: string): SimApiError {
  return new SimApiError(`Parameter id ${id}: invalid value "${value}". Valid values: ${expected}.`);
}

function checkValue(spec: ParamSpec, value: string): void {
  if (spec.kind === 'int') {
    const range = `number between ${spec.min} and ${spec.max} (inclusive)${spec.step ? `, divisible by ${spec.step}` : ''}`;
    const expected = spec.zeroAllowed ? `0 or ${range}` : range;
    if (!/^\d+$/.test(value)) throw invalid(spec.id, value, expected);
    const n = Number(value);
    if (spec.zeroAllowed && n === 0) return;
    if (n < spec.min! || n > spec.max! || (spec.step !== undefined && n % spec.step !== 0)) {
      throw invalid(spec.id, value, expected);
    }
    return;
  }
  if (!spec.values!.includes(value)) throw invalid(spec.id, value, spec.values!.join(', '));
}

/**
 * Validates parameters for a product type and returns them in the API's stored form: one entry per value
 * (list parameters repeat their id), names filled in, defaults applied, empty lists as a single "NONE".
 * `base` holds the current parameters on update: ids not sent keep their values.
 */
export function normalizeParameters(
  productTypeId: number,
  input: ReadonlyArray<{ id: number; value: string }>,
  base: readonly ConfigParameter[] = [],
): ConfigParameter[] {
  const product = productSpec(productTypeId);
  const sent = new Map<number, string[]>();
  for (const { id, value } of input) {
    const spec = product.params.find((p) => p.id === id);
    if (!spec) {
      throw new SimApiError(
        `Parameter id ${id} is not valid for product type ${product.id} (${product.label}).`,
      );
    }
    if (spec.readOnly) throw new SimApiError(`Parameter id ${id} is read-only and cannot be set.`);
    if (spec.replacedBy !== undefined) {
      throw new SimApiError(`Parameter id ${id} is deprecated; use Parameter id ${spec.replacedBy}.`);
    }
    sent.set(id, [...(sent.get(id) ?? []), value]);
  }
  const result: ConfigParameter[] = [];
  for (const spec of product.params) {
    if (spec.replacedBy !== undefined) continue;
    const previous = base.filter((p) => p.id === spec.id).map((p) => p.value);
    let values = sent.get(spec.id) ?? (previous.length > 0 ? previous : undefined);
    if (spec.readOnly) {
      result.push({ id: spec.id, name: spec.name, value: previous[0] ?? '0' });
      continue;
    }
    if (values === undefined) {
      if (spec.required) {
        throw new SimApiError(
          `Parameter id ${spec.id} is required for product type ${product.id} (${product.label}).`,
        );
      }
      values = [spec.kind === 'list' ? 'NONE' : (spec.default ?? 'NONE')];
    }
    if (spec.kind === 'list') {
      const chosen = [...new Set(values.filter((v) => v !== 'NONE'))];
      if (chosen.length > 0 && values.includes('NONE')) {
        throw new SimApiError(`Parameter id ${spec.id}: "NONE" cannot be combined with other values.`);
      }
      chosen.forEach((value) => checkValue(spec, value));
      for (const value of chosen.length > 0 ? chosen : ['NONE'])
        result.push({ id: spec.id, name: spec.name, value });
      continue;
    }
    if (values.length > 1) throw new SimApiError(`Parameter id ${spec.id} accepts exactly one value.`);
    checkValue(spec, values[0]!);
    result.push({ id: spec.id, name: spec.name, value: values[0]! });
  }
  return result;
}

/** Throws unless `productTypeId` and `parameters` form a valid configuration (used by tools/calc). */
export function assertValidParameters(
  productTypeId: number,
  parameters: ReadonlyArray<{ id: number; value: string }>,
): void {
  normalizeParameters(productTypeId, parameters);
}

const FGT_PACK_FACTOR: Record<string, number> = { FC: 0.35, UTP: 0.8, UTM: 0.8, ATP: 0.65, ENT: 1 };

/**
 * Derived points per day for a configuration. FortiFlex publishes no price list; this model matches the
 * workshop examples (FortiGate-VM ENT: 2 vCPU ≈ 6.39, 4 vCPU ≈ 12.91) and stays monotonic in size:
 * - FortiGate-VM bundle (1): (3.26 × CPU − 0.13) × pack (FC 0.35, ATP 0.65, UTP/UTM 0.8, ENT 1)
 *   + 0.06 per VDOM + 0.05 × CPU per add-on in 43/44 + 0.1 × CPU with FGTFCELU (45).
 * - FortiGate-VM à la carte (4): CPU × (1.1 + 0.35 per FortiGuard service + 0.06 per cloud service)
 *   + CPU × (0.4 for ASET, else 0.2) + 0.06 per VDOM.
 * - FortiManager-VM (2): 2 + 0.08 per managed device + 0.05 per ADOM.
 * - FortiAnalyzer-VM (7): 1 + 0.2 per GB/day.
 * - anything else: 1 (VM), 1.5 (hardware), 2 (cloud).
 * Results are rounded to two decimals.
 */
export function derivedRate(productTypeId: number, parameters: readonly ConfigParameter[]): number {
  const one = (id: number): string | undefined => parameters.find((p) => p.id === id)?.value;
  const num = (id: number): number => Number(one(id) ?? 0) || 0;
  const count = (id: number): number => parameters.filter((p) => p.id === id && p.value !== 'NONE').length;
  let rate: number;
  switch (productTypeId) {
    case 1: {
      const cpu = num(1);
      rate =
        (3.26 * cpu - 0.13) * (FGT_PACK_FACTOR[one(2) ?? 'FC'] ?? 1) +
        0.06 * num(10) +
        0.05 * cpu * (count(43) + count(44)) +
        (one(45) === 'FGTFCELU' ? 0.1 * cpu : 0);
      break;
    }
    case 4: {
      const cpu = num(6);
      rate =
        cpu * (1.1 + 0.35 * count(7) + 0.06 * count(12)) +
        cpu * (one(8) === 'ASET' ? 0.4 : 0.2) +
        0.06 * num(11);
      break;
    }
    case 2:
      rate = 2 + 0.08 * num(30) + 0.05 * num(9);
      break;
    case 7:
      rate = 1 + 0.2 * num(21);
      break;
    default:
      rate = { vm: 1, hardware: 1.5, cloud: 2 }[familyOf(productTypeId)];
  }
  return roundPoints(Math.max(rate, 0));
}

/** Rate of a stored configuration: the seed's explicit rate, else the derived one. */
export function configRate(config: Config, rates: Readonly<Record<number, number>>): number {
  return rates[config.id] ?? derivedRate(config.productType.id, config.parameters);
}
