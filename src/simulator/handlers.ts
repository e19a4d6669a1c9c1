/**
 * One handler per FortiFlex v2 endpoint: reads and checks the request fields, calls the
 * store, and names the payload key of the success envelope.
 */
import { ErrorCode, SimApiError } from './errors';
import { boolField, intField, parametersField, stringArrayField, stringField, type Body } from './fields';
import type { SimState } from './state';
import { parseDay, parseEndDateInput } from './time';

/** A handler's result: the payload key and value of the success envelope. */
export interface HandlerResult {
  key: 'programs' | 'configs' | 'entitlements' | 'groups';
  value: unknown;
  /** `groups/nexttoken`: the single entitlement, which the legacy form returns as a bare object. */
  single?: boolean;
}

type Handler = (body: Body, state: SimState) => HandlerResult;

function endDateField(body: Body): string | null {
  try {
    return parseEndDateInput(body.endDate);
  } catch (error) {
    throw new SimApiError((error as Error).message);
  }
}

function dayField(body: Body, name: string): string {
  try {
    return parseDay(body[name], name);
  } catch (error) {
    throw new SimApiError((error as Error).message);
  }
}

function statusField(body: Body): string[] | undefined {
  const value = body.status;
  if (typeof value === 'string') return [value];
  return stringArrayField(body, 'status');
}

const scope = (body: Body) => ({
  configId: intField(body, 'configId'),
  accountId: intField(body, 'accountId'),
  programSerialNumber: stringField(body, 'programSerialNumber'),
});

/** Handlers keyed by endpoint path relative to `/ES/api/fortiflex/v2/`. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  'programs/list': (_body, state) => ({ key: 'programs', value: state.configs.listPrograms() }),
  'programs/points': (body, state) => ({
    key: 'programs',
    value: [state.programPoints(stringField(body, 'programSerialNumber', true))],
  }),
  'configs/list': (body, state) => ({
    key: 'configs',
    value: state.configs.listConfigs(
      stringField(body, 'programSerialNumber', true),
      intField(body, 'accountId'),
    ),
  }),
  'configs/create': (body, state) => ({
    key: 'configs',
    value: state.configs.createConfig({
      programSerialNumber: stringField(body, 'programSerialNumber', true),
      accountId: intField(body, 'accountId'),
      name: stringField(body, 'name', true),
      productTypeId: intField(body, 'productTypeId', true),
      parameters: parametersField(body, true)!,
    }),
  }),
  'configs/update': (body, state) => ({
    key: 'configs',
    value: state.updateConfig({
      id: intField(body, 'id', true),
      name: stringField(body, 'name'),
      parameters: parametersField(body, false),
    }),
  }),
  'configs/enable': (body, state) => ({
    key: 'configs',
    value: state.configs.setConfigStatus(intField(body, 'id', true), 'ACTIVE'),
  }),
  'configs/disable': (body, state) => ({
    key: 'configs',
    value: state.configs.setConfigStatus(intField(body, 'id', true), 'DISABLED'),
  }),
  'entitlements/list': (body, state) => ({
    key: 'entitlements',
    value: state.listEntitlements(scope(body), {
      serialNumber: stringField(body, 'serialNumber'),
      description: stringField(body, 'description'),
      status: stringField(body, 'status'),
      tokenStatus: stringField(body, 'tokenStatus'),
    }),
  }),
  'entitlements/vm/create': (body, state) => ({
    key: 'entitlements',
    value: state.createVm({
      configId: intField(body, 'configId', true),
      count: intField(body, 'count') ?? 1,
      description: stringField(body, 'description'),
      endDate: endDateField(body),
      folderPath: stringField(body, 'folderPath'),
      skipPending: boolField(body, 'skipPending'),
    }),
  }),
  'entitlements/hardware/create': (body, state) => ({
    key: 'entitlements',
    value: state.createHardware({
      configId: intField(body, 'configId', true),
      serialNumbers: stringArrayField(body, 'serialNumbers', true)!,
      endDate: endDateField(body),
    }),
  }),
  'entitlements/cloud/create': (body, state) => {
    const count = intField(body, 'count');
    if (count !== undefined && count !== 1)
      throw new SimApiError('count: cloud entitlements are created one at a time (1)');
    return {
      key: 'entitlements',
      value: state.createCloud({
        configId: intField(body, 'configId', true),
        endDate: endDateField(body),
        folderPath: stringField(body, 'folderPath'),
        description: stringField(body, 'description'),
      }),
    };
  },
  'entitlements/update': (body, state) => ({
    key: 'entitlements',
    value: [
      state.update({
        serialNumber: stringField(body, 'serialNumber', true),
        configId: intField(body, 'configId'),
        description: stringField(body, 'description'),
        endDate: body.endDate === undefined ? undefined : endDateField(body),
      }),
    ],
  }),
  'entitlements/stop': (body, state) => ({
    key: 'entitlements',
    value: [state.stop(stringField(body, 'serialNumber', true))],
  }),
  'entitlements/reactivate': (body, state) => ({
    key: 'entitlements',
    value: [state.reactivate(stringField(body, 'serialNumber', true))],
  }),
  'entitlements/vm/token': (body, state) => ({
    key: 'entitlements',
    value: [state.regenerateToken(stringField(body, 'serialNumber', true))],
  }),
  'entitlements/points': (body, state) => ({
    key: 'entitlements',
    value: state.points(
      { ...scope(body), serialNumber: stringField(body, 'serialNumber') },
      dayField(body, 'startDate'),
      dayField(body, 'endDate'),
    ),
  }),
  'entitlements/transfer': (body, state) => ({
    key: 'entitlements',
    value: state.transfer({
      sourceAccountId: intField(body, 'sourceAccountId', true),
      sourceConfigId: intField(body, 'sourceConfigId', true),
      targetAccountId: intField(body, 'targetAccountId', true),
      targetConfigId: intField(body, 'targetConfigId'),
      serialNumbers: stringArrayField(body, 'serialNumbers'),
    }),
  }),
  'groups/list': (body, state) => ({ key: 'groups', value: state.groups(intField(body, 'accountId')) }),
  'groups/nexttoken': (body, state) => {
    const next = state.nextToken({
      configId: intField(body, 'configId'),
      folderPath: stringField(body, 'folderPath'),
      accountId: intField(body, 'accountId'),
      status: statusField(body),
    });
    return { key: 'entitlements', value: next ? [next] : [], single: true };
  },
  'tools/calc': (body, state) => ({
    key: 'configs',
    value: state.calc({
      programSerialNumber: stringField(body, 'programSerialNumber', true),
      productTypeId: intField(body, 'productTypeId', true),
      parameters: parametersField(body, true)!,
      count: intField(body, 'count') ?? 1,
    }),
  }),
};

/** The error for a path under the v2 base that is not an endpoint. */
export function unknownEndpoint(path: string): SimApiError {
  return new SimApiError(`Unknown endpoint ${path}.`, ErrorCode.notFound, 404);
}
