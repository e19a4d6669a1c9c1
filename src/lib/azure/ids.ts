/**
 * Azure Resource Manager resource ids: parsing, normalising and comparing. ARM ids are case-insensitive and
 * different APIs spell the same id with different casing (resource groups especially), so every comparison
 * goes through {@link normalizeId}. Errors for malformed ids are one line naming the field and the accepted
 * form.
 */

/** The parts of an ARM id: subscription, optional resource group, provider namespace and type/name pairs. */
export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup?: string;
  /** Provider namespace, e.g. `Microsoft.Compute`. */
  namespace?: string;
  /** Resource types from the top level down, e.g. `['virtualMachineScaleSets', 'virtualMachines']`. */
  types: string[];
  /** Resource names matching `types`. */
  names: string[];
}

/** A scope: a whole subscription or one resource group in it. */
export interface Scope {
  kind: 'subscription' | 'resourceGroup';
  subscriptionId: string;
  resourceGroup?: string;
}

/** A top-level resource in a resource group: a virtual machine or a scale set. */
export interface ResourceRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const SCOPE_FORM = '/subscriptions/<id> or /subscriptions/<id>/resourceGroups/<name>';
const VM_FORM = '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>';
const SCALE_SET_FORM =
  '/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachineScaleSets/<name>';

const malformed = (field: string, value: string, form: string): Error =>
  new Error(`${field}: "${value}" is not a valid Azure resource id; expected ${form}`);

/** Lower-cases and trims an id and drops trailing slashes, so ids from different APIs compare equal. */
export function normalizeId(id: string): string {
  return id.trim().replace(/\/+$/, '').toLowerCase();
}

/** True when two ARM ids name the same resource (case-insensitive). */
export function sameId(a: string, b: string): boolean {
  return normalizeId(a) === normalizeId(b);
}

/**
 * Splits an ARM id into its parts; throws a one-line error naming `field` when it does not start with
 * `/subscriptions/<id>` or its segments do not pair up.
 */
export function parseResourceId(id: string, field = 'resourceId', form = SCOPE_FORM): ParsedResourceId {
  const text = typeof id === 'string' ? id.trim().replace(/\/+$/, '') : '';
  const parts = text.split('/');
  if (parts[0] !== '' || parts.length < 3 || parts.slice(1).some((part) => part === '')) {
    throw malformed(field, String(id), form);
  }
  const segments = parts.slice(1);
  if (segments[0]!.toLowerCase() !== 'subscriptions') throw malformed(field, text, form);
  const parsed: ParsedResourceId = { subscriptionId: segments[1]!, types: [], names: [] };
  let i = 2;
  if (segments[i]?.toLowerCase() === 'resourcegroups') {
    if (segments[i + 1] === undefined) throw malformed(field, text, form);
    parsed.resourceGroup = segments[i + 1];
    i += 2;
  }
  if (i < segments.length) {
    if (segments[i]!.toLowerCase() !== 'providers' || segments[i + 1] === undefined) {
      throw malformed(field, text, form);
    }
    parsed.namespace = segments[i + 1];
    i += 2;
    const rest = segments.slice(i);
    if (rest.length === 0 || rest.length % 2 !== 0) throw malformed(field, text, form);
    for (let j = 0; j < rest.length; j += 2) {
      parsed.types.push(rest[j]!);
      parsed.names.push(rest[j + 1]!);
    }
  }
  return parsed;
}

/** Parses a subscription or resource-group id (the scopes paired VMs are looked up in). */
export function parseScope(id: string, field = 'scope'): Scope {
  const parsed = parseResourceId(id, field, SCOPE_FORM);
  if (parsed.namespace !== undefined) throw malformed(field, id, SCOPE_FORM);
  return parsed.resourceGroup === undefined
    ? { kind: 'subscription', subscriptionId: parsed.subscriptionId }
    : { kind: 'resourceGroup', subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup };
}

function parseTopLevel(id: string, field: string, type: string, form: string): ResourceRef {
  const parsed = parseResourceId(id, field, form);
  if (
    parsed.resourceGroup === undefined ||
    parsed.namespace?.toLowerCase() !== 'microsoft.compute' ||
    parsed.types.length !== 1 ||
    parsed.types[0]!.toLowerCase() !== type.toLowerCase()
  ) {
    throw malformed(field, id, form);
  }
  return {
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    name: parsed.names[0]!,
  };
}

/** Parses a virtual machine id (standalone or a Flexible scale-set member). */
export function parseVirtualMachineId(id: string, field = 'vmId'): ResourceRef {
  return parseTopLevel(id, field, 'virtualMachines', VM_FORM);
}

/** Parses a virtual machine scale set id. */
export function parseScaleSetId(id: string, field = 'scaleSet.resourceId'): ResourceRef {
  return parseTopLevel(id, field, 'virtualMachineScaleSets', SCALE_SET_FORM);
}

/** The id of a subscription. */
export function subscriptionId(subscription: string): string {
  return `/subscriptions/${subscription}`;
}

/** The id of a resource group. */
export function resourceGroupId(subscription: string, resourceGroup: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`;
}

/** The id of a virtual machine. */
export function virtualMachineId(ref: ResourceRef): string {
  return `${resourceGroupId(ref.subscriptionId, ref.resourceGroup)}/providers/Microsoft.Compute/virtualMachines/${ref.name}`;
}

/** The id of a virtual machine scale set. */
export function scaleSetId(ref: ResourceRef): string {
  return `${resourceGroupId(ref.subscriptionId, ref.resourceGroup)}/providers/Microsoft.Compute/virtualMachineScaleSets/${ref.name}`;
}
